"""Pages of the organisation tree: browse, open, create, rename, move, merge, dissolve."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cosodang.core.access import Action, can, get_for
from cosodang.core.forms import apply_errors
from cosodang.members import selectors as member_selectors

from . import selectors, services
from .forms import OrgCreateForm, OrgDissolveForm, OrgRenameForm, OrgTargetForm
from .models import PartyOrg


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    """Show the visible forest, top level expanded one step; children load on demand."""
    q = request.GET.get("q", "").strip()
    roots = selectors.build_nodes(list(selectors.list_roots(request.user)))
    found = selectors.search_orgs(request.user, q) if q else []
    return render(
        request, "orgs/tree.html", {"nodes": roots, "q": q, "found": found, "nav": "orgs"}
    )


@login_required
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the child nodes of one organisation (an htmx partial)."""
    org = selectors.get_org(request.user, pk)
    nodes = selectors.list_children(request.user, org)
    return render(request, "orgs/tree.html#children", {"nodes": nodes, "parent": org})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one organisation: counts, warnings, sub-organisations, officers, members."""
    org = selectors.get_org(request.user, pk)
    node, kids = selectors.get_org_node(request.user, org)
    crumbs = selectors.visible_ancestors(request.user, org)
    can_view_members = can(request.user, Action.VIEW_MEMBER, org)
    members = []
    if can_view_members and node.members:  # the counters say whether anyone sits here
        members = list(
            member_selectors.list_members(
                request.user, member_selectors.MemberFilters(org=org)
            ).filter(org=org)[:100]
        )
    return render(
        request,
        "orgs/detail.html",
        {
            "org": org,
            "node": node,
            "children": kids,
            "crumbs": crumbs,
            "officers": member_selectors.list_officers(request.user, org),
            "members": members,
            "can_view_members": can_view_members,
            "can_manage": can(request.user, Action.MANAGE_ORG, org),
            "events": list(org.events.all()[:50]),
            "nav": "orgs",
        },
    )


def _managed(request: HttpRequest, pk: int) -> PartyOrg:
    return selectors.get_org(request.user, pk, Action.MANAGE_ORG)


def _target(request: HttpRequest, code: str) -> PartyOrg:
    return get_for(request.user, PartyOrg.objects.all(), Action.MANAGE_ORG, code=code.strip())


@login_required
def create(request: HttpRequest, pk: int) -> HttpResponse:
    """Create a sub-organisation under organisation `pk`."""
    parent = _managed(request, pk)
    form = OrgCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.create_org(actor=request.user, parent=parent, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Đã thành lập «{org.name}».")
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "orgs/form.html",
        {
            "form": form,
            "org": parent,
            "nav": "orgs",
            "title": f"Thành lập tổ chức trực thuộc {parent}",
        },
    )


@login_required
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename an organisation from a date."""
    org = _managed(request, pk)
    form = OrgRenameForm(request.POST or None, initial={"name": org.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.rename_org(actor=request.user, org=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Đã đổi tên tổ chức.")
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "orgs/form.html",
        {"form": form, "org": org, "nav": "orgs", "title": f"Đổi tên {org}"},
    )


def _target_action(request: HttpRequest, pk: int, *, merge: bool) -> HttpResponse:
    org = _managed(request, pk)
    form = OrgTargetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            target = _target(request, data["target_code"])
        except Http404:
            form.add_error("target_code", "Không tìm thấy tổ chức có mã này trong phạm vi quản lý.")
        else:
            try:
                if merge:
                    services.merge_orgs(
                        actor=request.user,
                        source=org,
                        target=target,
                        effective=data["effective"],
                        decision_ref=data["decision_ref"],
                    )
                else:
                    services.move_org(
                        actor=request.user,
                        org=org,
                        new_parent=target,
                        effective=data["effective"],
                        decision_ref=data["decision_ref"],
                    )
            except ValidationError as exc:
                apply_errors(form, exc, {"parent": "target_code", "target": "target_code"})
            else:
                messages.success(request, "Đã sáp nhập." if merge else "Đã chuyển cấp trên.")
                return redirect("orgs:detail", pk=target.pk if merge else org.pk)
    title = f"Sáp nhập {org} vào tổ chức khác" if merge else f"Chuyển {org} sang cấp trên khác"
    return render(
        request, "orgs/form.html", {"form": form, "org": org, "nav": "orgs", "title": title}
    )


@login_required
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an organisation (and its subtree) under another superior."""
    return _target_action(request, pk, merge=False)


@login_required
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge an organisation into another one."""
    return _target_action(request, pk, merge=True)


@login_required
def dissolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Dissolve an empty organisation from a date."""
    org = _managed(request, pk)
    form = OrgDissolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dissolve_org(
                actor=request.user,
                org=org,
                effective=form.cleaned_data["effective"],
                decision_ref=form.cleaned_data["decision_ref"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Đã giải thể tổ chức.")
            return redirect("orgs:detail", pk=org.pk)
    return render(
        request,
        "orgs/form.html",
        {"form": form, "org": org, "nav": "orgs", "title": f"Giải thể {org}", "danger": True},
    )
