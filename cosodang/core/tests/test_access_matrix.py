"""The access matrix: every URL of the project, walked with every persona.

Every named URL is either an *object URL* (it takes the id of an organisation, member or token,
in its path, its query or its body), listed in OBJECT_CASES / API_OPERATIONS with who may reach
it, or a *no-object URL* listed in NO_OBJECT_URLS with the reason it needs no object scoping.
A URL in neither list fails `test_every_url_name_is_classified`, so a new view cannot forget its
scoping. Something a persona may not see answers 404, exactly like something that does not exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cosodang.accounts.services import create_api_token
from cosodang.api import api
from cosodang.core.models import AuditEvent
from cosodang.core.testing import World, member_form_data
from cosodang.core.tests.access_support import (
    ALL,
    API_PREFIX,
    DAY,
    EDITORS_OF_CELL_A,
    ISO_DAY,
    MANAGERS_OF_A,
    NO_EDITOR,
    PERSONAS,
    TARGETS,
    VIEWERS_OF_CELL_A,
    VIEWERS_OF_PROVINCE_A,
    ApiOp,
    Case,
    NoObject,
    app_case_modules,
)
from cosodang.members.models import Member

pytestmark = pytest.mark.django_db

# The Django admin is Django's own, guarded by `is_staff` (only superusers have it here); its
# URL names follow the registered models, so the namespace is exempt as a whole and checked by
# `test_admin_refuses_every_persona_but_the_superuser`.
ADMIN_NAMESPACE = "admin"


# --- the URL map -----------------------------------------------------------------------------


def _walk(
    resolver: URLResolver, namespace: str = "", prefix: str = ""
) -> Iterator[tuple[str | None, str]]:
    """Yield (qualified URL name or None, route) for every pattern, recursively."""
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p, ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
            yield name, prefix + str(p.pattern)


def url_names() -> set[str]:
    """Return every named URL of the project outside the Django admin."""
    return {n for n, _ in _walk(get_resolver()) if n and not n.startswith(ADMIN_NAMESPACE + ":")}


def api_operations() -> set[tuple[str, str]]:
    """Return (METHOD, path template) of every operation in the generated OpenAPI schema."""
    paths = api.get_openapi_schema()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


# --- objects and request bodies --------------------------------------------------------------


def _token_a(w: World) -> Any:
    token, _ = create_api_token(actor=w.staff_a, user=w.staff_a, name="ma-cua-a")
    return token


def _import_batch_a(w: World) -> Any:
    """Return a previewed import batch of staff_a (one good row, one rejected, partial)."""
    from cosodang.members import importing
    from cosodang.members.tests.test_import_support import new_row, xlsx

    return importing.start_import(
        actor=w.staff_a,
        data=xlsx([new_row(1), new_row(2, birth_date="31/02/1990")]),
        filename="danh-sach.xlsx",
        org=w.province_a,
        mode="skip",
        partial=True,
    )


# Objects of province A an id can point at; each is built from the shared world.
TARGETS.update(
    {
        "province_a": lambda w: w.province_a,
        "cell_a": lambda w: w.cell_a,
        "member_a": lambda w: (
            w.member_a
        ),  # Nguyễn Thị Hà, another member of the plain member's cell
        "own_member": lambda w: w.plain_member_a.member,  # Hoàng Thị Lan, the plain member herself
        "token_a": _token_a,
        "import_batch_a": _import_batch_a,
    }
)


def org_post(name: str, target: str, w: World) -> dict[str, Any]:
    """Return a valid POST body for an organisation write URL (so only scoping can stop it)."""
    child_type = "grassroots_branch" if target == "province_a" else "group"
    return {
        "orgs:create": {
            "code": "MOI-1",
            "name": "Tổ chức mới",
            "org_type": child_type,
            "effective_from": DAY,
        },
        "orgs:rename": {"name": "Tên mới", "effective": DAY},
        "orgs:move": {"target_code": w.province_b.code, "effective": DAY},
        "orgs:merge": {"target_code": w.cell_b.code, "effective": DAY},
        "orgs:dissolve": {"effective": DAY, "confirm": "on"},
    }[name]


def _org_cases() -> list[Case]:
    cases = []
    for target in ("province_a", "cell_a"):
        viewers = VIEWERS_OF_PROVINCE_A if target == "province_a" else VIEWERS_OF_CELL_A
        if target == "cell_a":
            viewers = viewers | {"member_a"}  # a plain member sees their own cell
        cases += [Case("orgs:detail", target, viewers), Case("orgs:children", target, viewers)]
        for name in ("orgs:create", "orgs:rename", "orgs:move", "orgs:merge", "orgs:dissolve"):
            cases.append(
                Case(
                    name, target, MANAGERS_OF_A, post=lambda w, n=name, t=target: org_post(n, t, w)
                )
            )
    return cases


HISTORY_POSTS: dict[str, dict[str, str]] = {
    "position": {"kind": "police", "title": "Đội trưởng", "start": DAY},
    "reward": {"date": DAY, "title": "Giấy khen"},
    "discipline": {"date": DAY, "form": "khien_trach"},
    "gap": {"start": DAY, "reason": "other"},
}

# Object URLs of the pages, by URL name.
OBJECT_CASES: list[Case] = [
    *_org_cases(),
    Case("members:detail", "member_a", VIEWERS_OF_CELL_A),
    Case("members:detail", "own_member", VIEWERS_OF_CELL_A | {"member_a"}),
    Case(
        "members:edit",
        "member_a",
        EDITORS_OF_CELL_A,
        post=lambda w: member_form_data(w.member_a, phone="0912345678"),
    ),
    # A plain member may read their own profile but not edit it.
    Case(
        "members:edit",
        "own_member",
        EDITORS_OF_CELL_A,
        post=lambda w: member_form_data(w.plain_member_a.member, phone="0912345678"),
    ),
    *[
        Case(
            "members:add_history",
            "member_a",
            EDITORS_OF_CELL_A,
            extra={"kind": kind},
            get_page=False,
            post=lambda w, k=kind: HISTORY_POSTS[k],
        )
        for kind in HISTORY_POSTS
    ],
    # Only the token's owner may revoke it; even the superuser gets 404.
    Case(
        "accounts:revoke_token",
        "token_a",
        frozenset({"staff_a"}),
        get_page=False,
        post=lambda w: {},
    ),
    # An import batch (its uploaded file, preview and report) belongs to its uploader alone:
    # everybody else, the superuser included, gets 404.
    Case("members:import_batch", "import_batch_a", frozenset({"staff_a"})),
    Case("members:import_progress", "import_batch_a", frozenset({"staff_a"})),
    Case("members:import_report", "import_batch_a", frozenset({"staff_a"})),
    *[
        Case(name, "import_batch_a", frozenset({"staff_a"}), get_page=False, post=lambda w: {})
        for name in ("members:import_confirm", "members:import_cancel")
    ],
]


def _member_api_body(w: World) -> dict[str, Any]:
    return {
        "org_id": w.cell_a.pk,
        "full_name": "Phan Văn Khải",
        "sex": "M",
        "birth_date": "1990-02-03",
        "decision_date": "2015-03-01",
        "ceremony_date": "2015-03-10",
        "official_date": "2016-03-10",
        "status": "official",
    }


# Every operation of the generated OpenAPI schema, keyed by (METHOD, path template).
API_OPERATIONS: dict[tuple[str, str], ApiOp | str] = {
    ("GET", f"{API_PREFIX}/orgs/"): "list: starts from the caller's visible scope (selector)",
    ("GET", f"{API_PREFIX}/members/"): "list: starts from the caller's visible scope (selector)",
}
for _op in [
    ApiOp("GET", f"{API_PREFIX}/orgs/{{org_id}}", "province_a", VIEWERS_OF_PROVINCE_A),
    ApiOp(
        "PATCH",
        f"{API_PREFIX}/orgs/{{org_id}}",
        "province_a",
        MANAGERS_OF_A,
        body=lambda w: {"name": "Tên mới", "effective": ISO_DAY},
    ),
    ApiOp(
        "POST",
        f"{API_PREFIX}/orgs/",
        None,
        MANAGERS_OF_A,
        body=lambda w: {
            "code": "MOI-1",
            "name": "Tổ đảng mới",
            "org_type": "group",
            "parent_id": w.cell_a.pk,
            "effective_from": ISO_DAY,
        },
    ),
    ApiOp("GET", f"{API_PREFIX}/members/{{member_id}}", "member_a", VIEWERS_OF_CELL_A),
    ApiOp(
        "PATCH",
        f"{API_PREFIX}/members/{{member_id}}",
        "member_a",
        EDITORS_OF_CELL_A,
        body=lambda w: {"phone": "0912345678"},
    ),
    ApiOp("POST", f"{API_PREFIX}/members/", None, EDITORS_OF_CELL_A, body=_member_api_body),
]:
    API_OPERATIONS[(_op.method, _op.path)] = _op

# Further API calls that carry one of A's ids (path or query), beyond one per operation.
EXTRA_API_CASES: list[ApiOp] = [
    ApiOp("GET", f"{API_PREFIX}/orgs/{{org_id}}", "cell_a", VIEWERS_OF_CELL_A | {"member_a"}),
    ApiOp(
        "PATCH",
        f"{API_PREFIX}/orgs/{{org_id}}",
        "cell_a",
        MANAGERS_OF_A,
        body=lambda w: {"name": "Tên mới", "effective": ISO_DAY},
    ),
    ApiOp(
        "GET", f"{API_PREFIX}/members/{{member_id}}", "own_member", VIEWERS_OF_CELL_A | {"member_a"}
    ),
    ApiOp(
        "PATCH",
        f"{API_PREFIX}/members/{{member_id}}",
        "own_member",
        EDITORS_OF_CELL_A,
        body=lambda w: {"phone": "0912345678"},
    ),
    ApiOp(
        "GET",
        f"{API_PREFIX}/members/",
        None,
        VIEWERS_OF_PROVINCE_A,
        query=lambda w: {"org": w.province_a.pk},
    ),
    # Moving a member of A into B's cell needs edit rights on both: only the superuser has them.
    ApiOp(
        "PATCH",
        f"{API_PREFIX}/members/{{member_id}}",
        "member_a",
        frozenset({"admin"}),
        body=lambda w: {"org_id": w.cell_b.pk},
    ),
]


# URL names that take no object: lists start from the user's visible scope in their selector,
# the rest hold no Party data. Exempt from the 404 assertion, each for the reason given.
NO_OBJECT_URLS: dict[str, NoObject] = {
    "home": NoObject("redirects to the tree", status=302),
    "healthz": NoObject("public health check: reports the database, no Party data"),
    "accounts:login": NoObject("the login page (a logged-in user is sent on)", status=302),
    "accounts:logout": NoObject("logs the user out; POST only", status=405),
    "accounts:otp_verify": NoObject("the user's own second factor"),
    "accounts:otp_setup": NoObject("the user's own second factor"),
    "accounts:profile": NoObject("the user's own grants and tokens"),
    "core:area": NoObject("static description of a product area", {"slug": "sinh-hoat"}),
    "orgs:tree": NoObject("list: starts from list_roots(actor)"),
    "members:list": NoObject(
        "list: starts from list_members(actor); ?org= is checked "
        "by get_org (see test_list_filter_on_a_object_is_404)"
    ),
    "members:create": NoObject(
        "the cell is picked from list_assignable_orgs(actor) and checked again by the form",
        overrides=NO_EDITOR,
    ),
    "members:export": NoObject(
        "list: the member list's rows from list_members(actor); ?org= is checked by get_org"
    ),
    "members:import_upload": NoObject(
        "the target organisation is looked up within visible_to(actor, EDIT_MEMBER) and every "
        "row is checked against the same scope; lists only the user's own batches",
        overrides=NO_EDITOR,
    ),
    "audit:list": NoObject("list: starts from visible_to(actor, VIEW_AUDIT)"),
    "api:api-root": NoObject(
        "ninja's anchor for reversing API paths; always 404", status=404, api=True
    ),
    "api:openapi-json": NoObject("the public API description, no data", api=True),
    "api:openapi-view": NoObject("the API docs page, no data", api=True),
    "api:docs_asset": NoObject("static Swagger UI files", {"name": "swagger-ui.css"}, api=True),
    "api:list_orgs": NoObject("list: starts from visible_to(actor, VIEW_ORG)", api=True),
    "api:list_members": NoObject("list: starts from list_members(actor)", api=True),
}

# URL names of API operations whose objects are covered by API_OPERATIONS.
API_OBJECT_URL_NAMES = {
    "api:get_org",
    "api:rename_org",
    "api:create_org",
    "api:get_member",
    "api:update_member",
    "api:create_member",
}

# Each app classifies its own URLs in `<app>/tests/access_cases.py` (see access_support).
for _module in app_case_modules():
    TARGETS.update(getattr(_module, "TARGETS", {}))
    OBJECT_CASES += getattr(_module, "OBJECT_CASES", [])
    API_OPERATIONS.update(getattr(_module, "API_OPERATIONS", {}))
    EXTRA_API_CASES += getattr(_module, "EXTRA_API_CASES", [])
    API_OBJECT_URL_NAMES |= getattr(_module, "API_OBJECT_URL_NAMES", set())
    NO_OBJECT_URLS.update(getattr(_module, "NO_OBJECT_URLS", {}))

API_CASES: list[ApiOp] = [
    *[op for op in API_OPERATIONS.values() if isinstance(op, ApiOp)],
    *EXTRA_API_CASES,
]
OBJECT_URL_NAMES = {c.name for c in OBJECT_CASES} | API_OBJECT_URL_NAMES


# --- helpers ---------------------------------------------------------------------------------


def client_for(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.personas()[persona])
    return client


def api_client_for(world: World, persona: str) -> Client:
    user = world.personas()[persona]
    _, raw = create_api_token(actor=user, user=user, name="ma-kiem-thu")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def call_api(client: Client, op: ApiOp, world: World) -> Any:
    url = op.url(world)
    if op.method == "GET":
        return client.get(url, op.query(world) if op.query else None)
    body = op.body(world) if op.body else {}
    return client.generic(op.method, url, data=json.dumps(body), content_type="application/json")


def login_path() -> str:
    return reverse("accounts:login")


# --- the classification itself ---------------------------------------------------------------


def test_every_url_name_is_classified_as_object_or_exempt() -> None:
    unclassified = url_names() - OBJECT_URL_NAMES - set(NO_OBJECT_URLS)
    assert not unclassified, (
        f"New URL names {sorted(unclassified)}: add them to OBJECT_CASES / API_OPERATIONS with "
        "who may reach them, or to NO_OBJECT_URLS with the reason they need no scoping."
    )


def test_the_classification_names_only_existing_urls() -> None:
    stale = (OBJECT_URL_NAMES | set(NO_OBJECT_URLS)) - url_names()
    assert not stale


def test_no_url_is_both_an_object_url_and_exempt() -> None:
    assert not OBJECT_URL_NAMES & set(NO_OBJECT_URLS)


def test_every_url_outside_the_admin_has_a_name() -> None:
    # An unnamed view would escape the classification above.
    unnamed = [
        route
        for name, route in _walk(get_resolver())
        if not name and not route.startswith(reverse("admin:index").lstrip("/"))
    ]
    assert not unnamed


def test_every_api_operation_is_classified() -> None:
    unclassified = api_operations() - set(API_OPERATIONS)
    assert not unclassified, f"New API operations {sorted(unclassified)}: add to API_OPERATIONS"


def test_the_api_classification_names_only_existing_operations() -> None:
    assert set(API_OPERATIONS) <= api_operations()


def test_every_api_operation_requires_a_token() -> None:
    # Checked per call below too; here against the schema, so a public operation stands out.
    schema = api.get_openapi_schema()
    public = [
        (m, p)
        for p, ops in schema["paths"].items()
        for m, o in ops.items()
        if not o.get("security")
    ]
    assert not public


# --- pages: object URLs ----------------------------------------------------------------------

GET_CASES = [c for c in OBJECT_CASES if c.get_page]
WRITE_CASES = [c for c in OBJECT_CASES if c.post is not None]


@pytest.mark.parametrize("case", GET_CASES, ids=lambda c: c.id)
def test_sibling_staff_gets_404_on_every_a_object_page(world: World, case: Case) -> None:
    response = client_for(world, "staff_b").get(case.url(world))
    assert response.status_code == 404


@pytest.mark.parametrize("case", WRITE_CASES, ids=lambda c: c.id)
def test_sibling_staff_gets_404_on_post_to_every_a_object_write_url(
    world: World, case: Case
) -> None:
    url = case.url(world)
    events = AuditEvent.objects.count()
    response = client_for(world, "staff_b").post(url, case.post(world))  # type: ignore[misc]
    assert (response.status_code, AuditEvent.objects.count()) == (404, events)


@pytest.mark.parametrize(
    "case", [c for c in GET_CASES if "member_a" not in c.allowed], ids=lambda c: c.id
)
def test_plain_member_gets_404_on_every_a_object_page_they_must_not_see(
    world: World, case: Case
) -> None:
    response = client_for(world, "member_a").get(case.url(world))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "case", [c for c in WRITE_CASES if "member_a" not in c.allowed], ids=lambda c: c.id
)
def test_plain_member_gets_404_on_post_to_every_a_object_write_url(
    world: World, case: Case
) -> None:
    url = case.url(world)
    events = AuditEvent.objects.count()
    response = client_for(world, "member_a").post(url, case.post(world))  # type: ignore[misc]
    assert (response.status_code, AuditEvent.objects.count()) == (404, events)


@pytest.mark.parametrize(
    "case", [c for c in GET_CASES if "member_a" in c.allowed], ids=lambda c: c.id
)
def test_plain_member_sees_their_own_record_and_their_own_cell(world: World, case: Case) -> None:
    response = client_for(world, "member_a").get(case.url(world))
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["staff_a", "admin"])
@pytest.mark.parametrize("case", GET_CASES, ids=lambda c: c.id)
def test_staff_of_a_and_admin_get_200_on_every_a_object_page_they_own_or_oversee(
    world: World, case: Case, persona: str
) -> None:
    # Owner-only objects (a user's import batch) answer 404 even to the superuser.
    response = client_for(world, persona).get(case.url(world))
    assert response.status_code == (200 if persona in case.allowed else 404)


@pytest.mark.parametrize("persona", ["secretary_a", "inspector_a"])
@pytest.mark.parametrize("case", GET_CASES, ids=lambda c: c.id)
def test_secretary_and_inspector_reach_exactly_the_a_pages_of_their_role(
    world: World, case: Case, persona: str
) -> None:
    response = client_for(world, persona).get(case.url(world))
    assert response.status_code == (200 if persona in case.allowed else 404)


@pytest.mark.parametrize(
    ("persona", "case"),
    [(p, c) for c in WRITE_CASES for p in ("secretary_a", "inspector_a") if p not in c.allowed],
    ids=lambda v: v if isinstance(v, str) else v.id,
)
def test_secretary_and_inspector_get_404_on_posts_outside_their_role(
    world: World, case: Case, persona: str
) -> None:
    response = client_for(world, persona).post(case.url(world), case.post(world))  # type: ignore[misc]
    assert response.status_code == 404


@pytest.mark.parametrize("case", [c for c in OBJECT_CASES if not c.get_page], ids=lambda c: c.id)
def test_post_only_urls_refuse_a_get_even_from_staff_of_a(world: World, case: Case) -> None:
    response = client_for(world, "staff_a").get(case.url(world))
    assert response.status_code in (404, 405)


def test_a_missing_object_answers_like_a_forbidden_one(world: World) -> None:
    missing = reverse("orgs:detail", kwargs={"pk": 999_999})
    forbidden = reverse("orgs:detail", kwargs={"pk": world.province_a.pk})
    client = client_for(world, "staff_b")
    first, second = client.get(missing), client.get(forbidden)
    assert (first.status_code, second.status_code) == (404, 404)
    # Same page apart from the per-response CSRF token.
    strip = re.compile(rb'(content|value)="[A-Za-z0-9]{64}"')
    assert strip.sub(b"", first.content) == strip.sub(b"", second.content)


def test_list_filter_on_a_object_is_404_for_sibling_staff(world: World) -> None:
    response = client_for(world, "staff_b").get(
        reverse("members:list"), {"org": world.province_a.pk}
    )
    assert response.status_code == 404


def test_member_list_of_sibling_staff_shows_none_of_a(world: World) -> None:
    response = client_for(world, "staff_b").get(reverse("members:list"))
    names = {m.full_name for m in response.context["page_obj"].object_list}
    assert names == {"Phạm Văn Dũng"}


def test_tree_of_sibling_staff_shows_none_of_a(world: World) -> None:
    response = client_for(world, "staff_b").get(reverse("orgs:tree"))
    assert [n.org.pk for n in response.context["nodes"]] == [world.province_b.pk]
    assert world.province_a.name not in response.content.decode()


def test_tree_search_of_sibling_staff_finds_none_of_a(world: World) -> None:
    response = client_for(world, "staff_b").get(reverse("orgs:tree"), {"q": "Hà Nội"})
    assert response.context["found"] == []


def test_member_create_form_of_sibling_staff_offers_no_cell_of_a(world: World) -> None:
    response = client_for(world, "staff_b").get(reverse("members:create"))
    offered = set(response.context["form"].fields["org"].queryset.values_list("pk", flat=True))
    assert offered == {world.cell_b.pk}


def test_member_create_into_a_cell_of_a_is_refused_for_sibling_staff(world: World) -> None:
    data = member_form_data(
        world.member_b,
        full_name="Phan Văn Khải",
        national_id="",
        card_number="",
        org=world.cell_a.pk,
    )
    before = Member.objects.count()
    response = client_for(world, "staff_b").post(reverse("members:create"), data)
    assert (response.status_code, Member.objects.count()) == (200, before)
    assert "org" in response.context["form"].errors


def test_moving_a_member_of_b_into_a_cell_of_a_is_refused_for_sibling_staff(
    world: World,
) -> None:
    data = member_form_data(world.member_b, org=world.cell_a.pk)
    client_for(world, "staff_b").post(reverse("members:edit", args=[world.member_b.pk]), data)
    world.member_b.refresh_from_db()
    assert world.member_b.org_id == world.cell_b.pk


def test_moving_an_org_of_b_under_an_org_of_a_is_refused_for_sibling_staff(
    world: World,
) -> None:
    response = client_for(world, "staff_b").post(
        reverse("orgs:move", args=[world.cell_b.pk]),
        {"target_code": world.root.code, "effective": DAY},
    )
    assert "target_code" in response.context["form"].errors


# --- pages: no-object URLs and anonymous visitors --------------------------------------------

PAGE_NAMES = sorted(n for n, spec in NO_OBJECT_URLS.items() if not spec.api)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_no_object_page_answers_every_persona(world: World, name: str, persona: str) -> None:
    spec = NO_OBJECT_URLS[name]
    response = client_for(world, persona).get(reverse(name, kwargs=spec.kwargs))
    assert response.status_code == spec.overrides.get(persona, spec.status)


# Pages an anonymous visitor may open: the health check and the login page; logging out is a
# POST (a GET answers 405).
ANONYMOUS_PUBLIC = {"healthz", "accounts:login", "accounts:logout"}
ANONYMOUS_PAGES = sorted((set(PAGE_NAMES) | {c.name for c in OBJECT_CASES}) - ANONYMOUS_PUBLIC)


def _any_url(world: World, name: str) -> str:
    if name in NO_OBJECT_URLS:
        return reverse(name, kwargs=NO_OBJECT_URLS[name].kwargs)
    return next(c for c in OBJECT_CASES if c.name == name).url(world)


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_anonymous_visitor_is_redirected_to_login_from_every_page(
    client: Client, world: World, name: str
) -> None:
    response = client.get(_any_url(world, name))
    assert response.status_code == 302
    # The home page sends on to the tree, which sends to the login page.
    final = client.get(_any_url(world, name), follow=True)
    assert final.redirect_chain[-1][0].startswith(login_path())


@pytest.mark.parametrize("case", WRITE_CASES, ids=lambda c: c.id)
def test_anonymous_post_to_a_write_url_is_redirected_to_login_and_writes_nothing(
    client: Client, world: World, case: Case
) -> None:
    url = case.url(world)
    events = AuditEvent.objects.count()
    response = client.post(url, case.post(world))  # type: ignore[misc]
    assert response.status_code == 302
    assert response["Location"].startswith(login_path())
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("name", ["healthz", "accounts:login"])
def test_public_pages_answer_an_anonymous_visitor(client: Client, world: World, name: str) -> None:
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(
    "persona", ["staff_a", "staff_b", "secretary_a", "member_a", "inspector_a"]
)
def test_admin_refuses_every_persona_but_the_superuser(world: World, persona: str) -> None:
    response = client_for(world, persona).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_opens_for_the_superuser(world: World) -> None:
    assert client_for(world, "admin").get(reverse("admin:index")).status_code == 200


# --- the API ---------------------------------------------------------------------------------

API_GET_CASES = [op for op in API_CASES if op.method == "GET"]
API_WRITE_CASES = [op for op in API_CASES if op.method != "GET"]


def _api_id(op: ApiOp) -> str:
    return f"{op.id}[{op.target or (op.query and 'query') or 'body'}]"


@pytest.mark.parametrize("op", API_CASES, ids=_api_id)
def test_sibling_staff_gets_404_from_every_api_call_on_a_objects(world: World, op: ApiOp) -> None:
    client = api_client_for(world, "staff_b")
    events = AuditEvent.objects.count()
    response = call_api(client, op, world)
    assert (response.status_code, AuditEvent.objects.count()) == (404, events)


@pytest.mark.parametrize(
    "op", [op for op in API_CASES if "member_a" not in op.allowed], ids=_api_id
)
def test_plain_member_gets_404_from_every_api_call_they_must_not_make(
    world: World, op: ApiOp
) -> None:
    client = api_client_for(world, "member_a")
    events = AuditEvent.objects.count()
    response = call_api(client, op, world)
    assert (response.status_code, AuditEvent.objects.count()) == (404, events)


@pytest.mark.parametrize(
    ("persona", "op"),
    [(p, op) for op in API_CASES for p in ("secretary_a", "inspector_a") if p not in op.allowed],
    ids=lambda v: v if isinstance(v, str) else _api_id(v),
)
def test_secretary_and_inspector_get_404_from_api_calls_outside_their_role(
    world: World, op: ApiOp, persona: str
) -> None:
    response = call_api(api_client_for(world, persona), op, world)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("persona", "op"),
    [(p, op) for op in API_GET_CASES for p in PERSONAS if p in op.allowed],
    ids=lambda v: v if isinstance(v, str) else _api_id(v),
)
def test_allowed_personas_get_200_from_api_reads_of_a_objects(
    world: World, op: ApiOp, persona: str
) -> None:
    response = call_api(api_client_for(world, persona), op, world)
    assert response.status_code == 200


@pytest.mark.parametrize("op", sorted(API_OPERATIONS), ids=" ".join)
def test_anonymous_api_call_is_refused_with_401(
    client: Client, world: World, op: tuple[str, str]
) -> None:
    spec = API_OPERATIONS[op]
    probe = spec if isinstance(spec, ApiOp) else ApiOp(op[0], op[1], None, ALL)
    events = AuditEvent.objects.count()
    response = call_api(client, probe, world)
    assert (response.status_code, AuditEvent.objects.count()) == (401, events)


def test_a_revoked_token_is_refused_with_401(world: World) -> None:
    from cosodang.accounts.services import revoke_api_token

    token, raw = create_api_token(actor=world.staff_a, user=world.staff_a, name="cu")
    revoke_api_token(actor=world.staff_a, token=token)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(f"{API_PREFIX}/orgs/").status_code == 401


@pytest.mark.parametrize("name", sorted(n for n, s in NO_OBJECT_URLS.items() if s.api))
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_no_object_api_url_answers_every_persona(
    world: World, name: str, persona: str
) -> None:
    spec = NO_OBJECT_URLS[name]
    response = api_client_for(world, persona).get(reverse(name, kwargs=spec.kwargs))
    assert response.status_code == spec.overrides.get(persona, spec.status)


def test_api_member_list_of_sibling_staff_holds_none_of_a(world: World) -> None:
    body = api_client_for(world, "staff_b").get(f"{API_PREFIX}/members/").json()
    assert [m["full_name"] for m in body["items"]] == ["Phạm Văn Dũng"]


def test_api_org_list_of_sibling_staff_holds_none_of_a(world: World) -> None:
    body = api_client_for(world, "staff_b").get(f"{API_PREFIX}/orgs/").json()
    assert {o["id"] for o in body["items"]} == {world.province_b.pk, world.cell_b.pk}


def test_api_org_list_filtered_on_a_parent_of_a_is_empty_for_sibling_staff(
    world: World,
) -> None:
    body = (
        api_client_for(world, "staff_b")
        .get(f"{API_PREFIX}/orgs/", {"parent": world.province_a.pk})
        .json()
    )
    assert body == {"count": 0, "items": []}
