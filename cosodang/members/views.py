"""Pages of the member registry: list and search, profile, create, edit, history rows."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.vary import vary_on_headers

from cosodang.core.access import Action, can, can_anywhere, may_see_identifiers
from cosodang.core.forms import apply_errors
from cosodang.orgs import selectors as org_selectors

from . import selectors, services
from .forms import HISTORY_FORMS, MemberForm
from .models import STATUS_CHOICES

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> selectors.MemberFilters:
    org = None
    org_id = request.GET.get("org", "")
    if org_id.isdigit():
        org = org_selectors.get_org(request.user, int(org_id))
    status = request.GET.get("status", "")
    if status not in dict(STATUS_CHOICES):
        status = ""
    return selectors.MemberFilters(q=request.GET.get("q", "")[:100], org=org, status=status)


@login_required
@vary_on_headers("HX-Request", "HX-Target")
def member_list(request: HttpRequest) -> HttpResponse:
    """List and search members in scope; htmx requests get only the results block."""
    filters = _filters(request)
    qs = selectors.list_members(request.user, filters)
    page = selectors.paginate_members(
        qs, filters, request.GET.get("page"), PAGE_SIZE, actor=request.user
    )
    context = {
        "page_obj": page,
        "filters": filters,
        "statuses": STATUS_CHOICES,
        "nav": "members",
        "can_create": can_anywhere(request.user, Action.EDIT_MEMBER),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "members/member_list.html#results", context)
    return render(request, "members/member_list.html", context)


@functools.cache
def _history_form_fields(language: str) -> dict[str, str]:
    """Render the fields of the empty "add history" forms once per process and language.

    They are unbound and the same on every profile (no initial values, fixed choices), and
    rendering their 17 widgets through the template engine was a third of the profile
    page's time for editors.
    """
    return {
        name: render_to_string("core/_form_fields.html", {"form": cls()})
        for name, cls in HISTORY_FORMS.items()
    }


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a member's profile with Party data, derived Party age and history tabs."""
    member = selectors.get_member(request.user, pk)
    can_edit = can(request.user, Action.EDIT_MEMBER, member.org)
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "facts": selectors.party_facts(member),
            "can_edit": can_edit,
            "show_ids": may_see_identifiers(request.user, member.org_path),
            "form_fields": _history_form_fields(get_language()) if can_edit else {},
            "nav": "members",
        },
    )


def _edit_orgs(request: HttpRequest):  # type: ignore[no-untyped-def]
    return org_selectors.list_assignable_orgs(request.user, Action.EDIT_MEMBER)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Add a member to a cell within the user's scope."""
    if not can_anywhere(request.user, Action.EDIT_MEMBER):
        raise Http404
    initial = {}
    if request.GET.get("org", "").isdigit():
        initial["org"] = request.GET["org"]
    form = MemberForm(request.POST or None, orgs=_edit_orgs(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.create_member(
                actor=request.user, org=form.cleaned_data["org"], data=form.service_data()
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Đã thêm đảng viên {member}.")
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/member_form.html",
        {"form": form, "title": "Thêm đảng viên", "nav": "members"},
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a member's profile; nothing is saved unless every check passes."""
    member = selectors.get_member(request.user, pk, Action.EDIT_MEMBER)
    form = MemberForm(request.POST or None, instance=member, orgs=_edit_orgs(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(
                actor=request.user,
                member=member,
                data=form.service_data(),
                org=form.cleaned_data["org"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Đã lưu thay đổi.")
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/member_form.html",
        {"form": form, "member": member, "title": f"Sửa hồ sơ: {member}", "nav": "members"},
    )


@login_required
def add_history(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Add one history row (position, reward, discipline, Party-age gap) to a member."""
    if kind not in HISTORY_FORMS or request.method != "POST":
        raise Http404
    member = selectors.get_member(request.user, pk, Action.EDIT_MEMBER)
    form = HISTORY_FORMS[kind](request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if kind == "position":
                services.add_position(actor=request.user, member=member, org=member.org, **data)
            elif kind == "reward":
                services.add_reward(actor=request.user, member=member, **data)
            elif kind == "discipline":
                services.add_discipline(actor=request.user, member=member, **data)
            else:
                services.add_gap(actor=request.user, member=member, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
    if form.errors:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for e in errors:
                messages.error(request, f"{label}: {e}" if label else str(e))
    else:
        messages.success(request, "Đã thêm vào lịch sử.")
    return redirect(reverse("members:detail", args=[member.pk]) + f"#tab-{kind}")
