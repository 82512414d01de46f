"""Pages of the evaluations app: the review cycle.

The landing page (what to do next), periods and their plan and timeline, results and
objections, and a member's history across periods. The member's self-review and the
assessments by source are in `views.reviews`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from cosodang.core.access import Action, can, require
from cosodang.core.forms import apply_errors
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.models import (
    LEVEL_CHOICES,
    PeriodKind,
    PeriodState,
    RatingState,
)
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.services import cycle as services
from cosodang.members import selectors as member_selectors
from cosodang.orgs.forms import date_field
from cosodang.orgs.models import PartyOrg

NAV = "danh-gia"
LEVEL_FIELD_CHOICES = [("", "— chọn mức —"), *LEVEL_CHOICES]


# --------------------------------------------------------------------------------------------
# Landing page and periods
# --------------------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Show the periods in scope and what the user should do next."""
    data = sel.landing(request.user)
    return render(request, "evaluations/cycle/index.html", {"data": data, "nav": NAV})


class PeriodForm(forms.Form):
    """Plan a period: organisation, kind, year/quarter and the plan's dates."""

    org: forms.ModelChoiceField = forms.ModelChoiceField(
        label="Tổ chức (cấp ủy quyết định)", queryset=PartyOrg.objects.none()
    )
    kind = forms.ChoiceField(label="Loại kỳ", choices=PeriodKind.choices)
    year = forms.IntegerField(label="Năm", min_value=2018, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="Quý (chỉ với kỳ quý)",
        choices=[("", "—"), (1, "Quý I"), (2, "Quý II"), (3, "Quý III")],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Quý IV gộp vào kiểm điểm cuối năm.",
    )
    opens_on = date_field("Mở kiểm điểm")
    self_review_due = date_field("Hạn nộp bản kiểm điểm")
    cell_meeting_by = date_field("Hạn họp chi bộ kiểm điểm")
    decision_by = date_field("Hạn cấp ủy quyết định")
    publish_from = date_field("Công khai từ ngày")
    publish_until = date_field("Công khai đến ngày")
    closes_on = date_field("Kết thúc kỳ")
    peer_review = forms.BooleanField(label="Cho phép đảng viên góp ý lẫn nhau", required=False)

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]

    def plan(self) -> dict[str, date | None]:
        return {name: self.cleaned_data.get(name) for name, _ in rc.PLAN_FIELDS}


@login_required
def period_create(request: HttpRequest) -> HttpResponse:
    """Plan a new period for an organisation where the user decides evaluations."""
    orgs = sel.decidable_orgs(request.user)
    if not orgs.exists():
        raise Http404("Không tìm thấy")
    today = timezone.localdate()
    initial: dict[str, Any] = {"kind": "year", "year": today.year}
    initial.update(rc.default_plan(date(today.year, 1, 1), date(today.year, 12, 31)))
    form = PeriodForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            period = services.create_period(
                actor=request.user,
                org=form.cleaned_data["org"],
                kind=form.cleaned_data["kind"],
                year=form.cleaned_data["year"],
                quarter=form.cleaned_data["quarter"],
                plan=form.plan(),
                peer_review=form.cleaned_data["peer_review"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Đã lập kế hoạch kỳ đánh giá {period.label}.")
            return redirect("evaluations:period_detail", pk=period.pk)
    return render(request, "evaluations/cycle/period_form.html", {"form": form, "nav": NAV})


@login_required
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a period: plan, state, timeline, the committee's steps and the cells' progress."""
    period = sel.get_period(request.user, pk)
    decides = sel.can_decide(request.user, period)
    member = sel.own_member(request.user)
    context = {
        "period": period,
        "plan": [(label, getattr(period, name)) for name, label in rc.PLAN_FIELDS],
        "timeline": sel.period_timeline(period),
        "decides": decides,
        "can_edit_plan": decides and services.refuse_plan_change(period) is None,
        "sees_org": can(request.user, Action.VIEW_EVALUATION, period.org),
        "can_reopen": period.state == PeriodState.CLOSED and sel.can_reopen(request.user, period),
        "steps": [s.value for s in rc.allowed_steps(period.state)],
        "cells": sel.period_cells(request.user, period)
        if can(request.user, Action.VIEW_EVALUATION, period.org) or sel.cells_for(request.user)
        else [],
        "objections": sel.list_objections(request.user, period) if decides else [],
        "in_period": member is not None and member.org_path.startswith(period.org_path),
        "nav": NAV,
    }
    return render(request, "evaluations/cycle/period_detail.html", context)


def _step_view(step: str):  # type: ignore[no-untyped-def]
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        period = sel.get_period(request.user, pk)
        try:
            if step == "reopen":
                services.reopen_period(
                    actor=request.user, period=period, reason=request.POST.get("reason", "")
                )
                messages.success(request, "Đã mở lại kỳ đánh giá.")
            else:
                require(request.user, Action.DECIDE_EVALUATION, period.org)
                if step == "open":
                    services.open_period(actor=request.user, period=period)
                    messages.success(request, "Đã mở kỳ kiểm điểm.")
                elif step == "publish":
                    n = services.publish_results(actor=request.user, period=period)
                    messages.success(request, f"Đã công khai {n} kết quả.")
                else:
                    services.close_period(actor=request.user, period=period)
                    messages.success(request, "Đã kết thúc kỳ và khóa kết quả.")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("evaluations:period_detail", pk=period.pk)

    view.__name__ = f"period_{step}"
    view.__doc__ = f"Take the step «{step}» on a period (POST)."
    return view


# --------------------------------------------------------------------------------------------
# Results, objections, history
# --------------------------------------------------------------------------------------------


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    """List the period's results the user may see; the member may object to their own."""
    period = sel.get_period(request.user, pk)
    member = sel.own_member(request.user)
    ratings = list(sel.list_results(request.user, period))
    own = next((r for r in ratings if member is not None and r.member_id == member.pk), None)
    objections = list(sel.list_objections(request.user, period))
    return render(
        request,
        "evaluations/cycle/results.html",
        {
            "period": period,
            "ratings": ratings,
            "own": own,
            "can_object": own is not None
            and own.state == RatingState.PUBLISHED
            and rc.refuse_objection(timezone.localdate(), services.plan_of(period)) is None,
            "objections": objections,
            "decides": sel.can_decide(request.user, period),
            "nav": NAV,
        },
    )


@login_required
@require_POST
def objection_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Lodge the member's objection to their own published result."""
    rating = sel.get_rating(request.user, pk)
    member = sel.own_member(request.user)
    if member is None or member.pk != rating.member_id:
        raise Http404("Không tìm thấy")
    try:
        services.lodge_objection(
            actor=request.user, rating=rating, text=request.POST.get("text", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Đã gửi kiến nghị; cấp ủy sẽ trả lời trước khi kết thúc kỳ.")
    return redirect("evaluations:results", pk=rating.period_id)


class AnswerForm(forms.Form):
    """The committee's answer to an objection."""

    decision = forms.ChoiceField(
        label="Quyết định",
        choices=[("dismiss", "Không chấp nhận"), ("uphold", "Chấp nhận, xếp loại lại")],
        widget=forms.RadioSelect,
    )
    new_level = forms.ChoiceField(
        label="Mức sau xem xét", choices=LEVEL_FIELD_CHOICES, required=False
    )
    answer = forms.CharField(label="Nội dung trả lời", widget=forms.Textarea(attrs={"rows": 4}))


@login_required
def objection_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer an objection: uphold with a new level, or dismiss (deciding committee)."""
    objection = sel.get_objection(request.user, pk, Action.DECIDE_EVALUATION)
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_objection(
                actor=request.user,
                objection=objection,
                upheld=form.cleaned_data["decision"] == "uphold",
                answer=form.cleaned_data["answer"],
                new_level=form.cleaned_data["new_level"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Đã trả lời kiến nghị.")
            return redirect("evaluations:results", pk=objection.rating.period_id)
    return render(
        request,
        "evaluations/cycle/objection_answer.html",
        {"objection": objection, "form": form, "nav": NAV},
    )


@login_required
def member_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Show every period's level, score and reasons of a member."""
    member = member_selectors.get_member(request.user, pk)
    return render(
        request,
        "evaluations/cycle/member_history.html",
        {"member": member, "rows": sel.member_history(request.user, member), "nav": NAV},
    )


urlpatterns = [
    path("", index, name="index"),
    path("ky/tao/", period_create, name="period_create"),
    path("ky/<int:pk>/", period_detail, name="period_detail"),
    path("ky/<int:pk>/mo/", _step_view("open"), name="period_open"),
    path("ky/<int:pk>/cong-khai/", _step_view("publish"), name="period_publish"),
    path("ky/<int:pk>/ket-thuc/", _step_view("close"), name="period_close"),
    path("ky/<int:pk>/mo-lai/", _step_view("reopen"), name="period_reopen"),
    path("ky/<int:pk>/ket-qua/", results, name="results"),
    path("dang-vien/<int:pk>/lich-su/", member_history, name="member_history"),
    path("ket-qua/<int:pk>/kien-nghi/", objection_create, name="objection_create"),
    path("kien-nghi/<int:pk>/tra-loi/", objection_answer, name="objection_answer"),
]
