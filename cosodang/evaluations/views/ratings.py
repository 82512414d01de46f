"""Pages of the evaluations app: ratings.

The cell's proposal (`propose`), collective ratings (`rate_collective`), the committee's
calibration page (comparison between equivalent positions, quota use, outliers) with the decide
action, individual overrides (`decide_one`), the result list (.xlsx / .docx) and the report sent
upward (counts by level for every organisation of a subtree, with a chart).

Each page is about one organisation (in the path) and one period covering it (``?ky=``, the
newest when absent). One access call per view; what the actor may not reach answers 404.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from cosodang.core.access import Action
from cosodang.core.docx import DOCX_CONTENT_TYPE
from cosodang.evaluations import rules_ratings
from cosodang.evaluations.documents_ratings import (
    XLSX_CONTENT_TYPE,
    report_xlsx,
    result_docx,
    result_xlsx,
)
from cosodang.evaluations.models import LEVEL_CHOICES, Period
from cosodang.evaluations.selectors import ratings as sel
from cosodang.evaluations.services import decisions, rating_base, rating_inputs
from cosodang.evaluations.services import ratings as services
from cosodang.orgs.models import PartyOrg

NAV = "danh-gia"
LEVEL_FIELD_CHOICES = [("", "— chọn mức —"), *LEVEL_CHOICES]


def _period(request: HttpRequest, org: PartyOrg) -> Period | None:
    return sel.pick_period(org, request.GET.get("ky") or request.POST.get("ky"))


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --------------------------------------------------------------------------------------------
# The cell's proposal
# --------------------------------------------------------------------------------------------

_ADJUSTABLE = (
    ("score", "Điểm"),
    ("tasks_total", "Số nhiệm vụ"),
    ("tasks_on_time", "Đúng hạn"),
    ("tasks_above_requirement", "Vượt yêu cầu"),
    ("tasks_late", "Chậm"),
)


def _adjustments(request: HttpRequest, rows: list[services.CellRow]) -> dict[int, Any]:
    """Read the values the secretary changed on the proposal page, row by row."""
    out: dict[int, rating_inputs.Adjustment] = {}
    for row in rows:
        prefix = f"m{row.member_id}-"
        changed: dict[str, Any] = {}
        for name, _ in _ADJUSTABLE:
            raw = request.POST.get(prefix + name)
            if raw is None:
                continue
            raw = raw.strip().replace(",", ".")
            current = getattr(row.inputs, name)
            if name == "score":
                try:
                    value: Any = Decimal(raw) if raw else None
                except InvalidOperation as exc:
                    raise ValidationError(f"{row.full_name}: điểm không hợp lệ.") from exc
                if value != current:
                    changed[name] = value
            elif raw != str(current):
                changed[name] = raw
        degradation = request.POST.get(prefix + "degradation_concluded") == "on"
        if degradation != row.inputs.degradation_concluded:
            changed["degradation_concluded"] = degradation
        professional = request.POST.get(prefix + "professional_level")
        if professional is not None and professional != row.inputs.professional_level:
            changed["professional_level"] = professional
        if changed:
            out[row.member_id] = rating_inputs.Adjustment(
                changed, request.POST.get(prefix + "reason", "")
            )
    return out


@login_required
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a cell's members with their inputs; propose a level for each (the secretary)."""
    org = sel.get_org(request.user, pk, Action.ASSESS_MEMBER)
    period = _period(request, org)
    rows = services.cell_rows(period, org) if period else []
    errors: list[str] = []
    if request.method == "POST" and period is not None:
        try:
            report = services.propose_cell(
                actor=request.user,
                period=period,
                org=org,
                adjustments=_adjustments(request, rows),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            skipped = f"; chưa đề xuất {len(report.skipped)} người" if report.skipped else ""
            messages.success(
                request, f"Đã đề xuất mức xếp loại cho {report.proposed} đảng viên{skipped}."
            )
            return redirect(f"{request.path}?ky={period.pk}")
    return render(
        request,
        "evaluations/ratings/propose.html",
        {
            "nav": NAV,
            "org": org,
            "period": period,
            "periods": sel.periods_for(org),
            "rows": [
                (
                    r,
                    rules_ratings.group_label(r.group),
                    [(name, label, getattr(r.inputs, name)) for name, label in _ADJUSTABLE],
                )
                for r in rows
            ],
            "adjustable": _ADJUSTABLE,
            "level_choices": LEVEL_FIELD_CHOICES,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


# --------------------------------------------------------------------------------------------
# Collective ratings
# --------------------------------------------------------------------------------------------


class CollectiveForm(forms.Form):
    score = forms.DecimalField(
        label="Điểm tập thể (0–100)", min_value=0, max_value=100, required=False, decimal_places=2
    )
    tasks_total = forms.IntegerField(label="Số nhiệm vụ của đơn vị", min_value=0)
    tasks_on_time = forms.IntegerField(label="Hoàn thành đúng hạn", min_value=0)
    tasks_above_requirement = forms.IntegerField(label="Vượt yêu cầu", min_value=0, initial=0)
    tasks_late = forms.IntegerField(label="Hoàn thành chậm", min_value=0, initial=0)


@login_required
def rate_collective(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose the level of a collective from its score, its members and its task results."""
    org = sel.get_org(request.user, pk, Action.ASSESS_MEMBER)
    period = _period(request, org)
    current = sel.org_ratings(period, org).filter(org=org).first() if period else None
    form = CollectiveForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and period is not None and form.is_valid():
        try:
            services.rate_collective(
                actor=request.user, period=period, org=org, **form.cleaned_data
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"Đã đề xuất mức xếp loại của {org.name}.")
            return redirect(f"{request.path}?ky={period.pk}")
    table = (
        rules_ratings.reason_table(rating_base.period_pack(period)) if current and period else None
    )
    return render(
        request,
        "evaluations/ratings/collective.html",
        {
            "nav": NAV,
            "org": org,
            "period": period,
            "form": form,
            "current": current,
            "reasons": rules_ratings.expand_reasons(current.proposed_reasons, table)
            if current
            else [],
            "errors": errors,
        },
        status=400 if errors or (request.method == "POST" and form.errors) else 200,
    )


# --------------------------------------------------------------------------------------------
# Calibration and decision
# --------------------------------------------------------------------------------------------


@login_required
def calibration(request: HttpRequest, pk: int) -> HttpResponse:
    """Show every position group of a committee's scope, quota use and outliers."""
    org = sel.get_org(request.user, pk, Action.VIEW_EVALUATION)
    period = _period(request, org)
    data = sel.calibration(period, org) if period else None
    if data:
        member_url, review_url = _url_maker("members:detail"), _url_maker("evaluations:decide_one")
        for o in data.outliers:
            o.member_url, o.review_url = member_url(o.member_id), review_url(o.rating_id)
    group = request.GET.get("nhom", "")
    people: list[sel.PersonRow] = []
    people_total = 0
    page = int(request.GET["trang"]) if request.GET.get("trang", "").isdigit() else 1
    chosen = None
    if data and group:
        chosen = next((g for g in data.groups if g.code == group), None)
        if chosen is None:
            raise Http404("Không tìm thấy")
        people, people_total = sel.group_people(period, org, group, page)  # type: ignore[arg-type]
    decide_ok = bool(
        period
        and data
        and sel.may_decide(request.user, org)
        and rating_base.may_decide_at(data.pack, org)
    )
    return render(
        request,
        "evaluations/ratings/calibration.html",
        {
            "nav": NAV,
            "org": org,
            "period": period,
            "periods": sel.periods_for(org),
            "data": data,
            "levels": sel.LEVELS,
            "chosen": chosen,
            "people": people,
            "people_total": people_total,
            "page": page,
            "has_next": page * sel.GROUP_PAGE < people_total,
            "may_decide": decide_ok,
            "may_override": bool(period and sel.may_decide(request.user, org)),
        },
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Decide the scope's ratings: collectives, heads capped, then the quota (the committee)."""
    org = sel.get_org(request.user, pk, Action.DECIDE_EVALUATION)
    period = _period(request, org)
    if period is None:
        raise Http404("Không tìm thấy")
    try:
        report = decisions.decide(actor=request.user, period=period, org=org)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        parts = [f"Đã quyết định {report.decided} đảng viên"]
        if report.collectives:
            parts.append(f"{report.collectives} tập thể")
        if report.capped_by_collective:
            parts.append(f"{report.capped_by_collective} người đứng đầu hạ theo mức tập thể")
        if report.capped_by_quota:
            parts.append(f"{report.capped_by_quota} người hạ xuống HTTNV do vượt tỷ lệ")
        if report.waiting_heads:
            parts.append(f"{report.waiting_heads} người đứng đầu chờ xếp loại tập thể")
        messages.success(request, "; ".join(parts) + ".")
    return redirect(f"{_url('evaluations:calibration', org.pk)}?ky={period.pk}")


def _url_maker(name: str) -> Any:
    """Return pk → URL of a one-pk route, reversed once (200 outlier rows, two links each)."""
    marker = 987654321
    base = reverse(name, args=[marker])
    return lambda pk: base.replace(str(marker), str(pk))


def _url(name: str, pk: int) -> str:
    from django.urls import reverse

    return reverse(name, kwargs={"pk": pk})


class OverrideForm(forms.Form):
    level = forms.ChoiceField(label="Mức cấp ủy quyết định", choices=LEVEL_FIELD_CHOICES)
    reason = forms.CharField(label="Lý do", widget=forms.Textarea(attrs={"rows": 3}))


@login_required
def decide_one(request: HttpRequest, pk: int) -> HttpResponse:
    """Let the committee decide one member's level differently, with a recorded reason."""
    rating = sel.get_rating(request.user, pk, Action.DECIDE_EVALUATION)
    form = OverrideForm(
        request.POST or None, initial={"level": rating.level or rating.proposed_level}
    )
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            decisions.decide_one(actor=request.user, rating=rating, **form.cleaned_data)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(
                request, f"Đã ghi quyết định của cấp ủy cho {rating.member.full_name}."
            )
            return redirect(f"{request.path}")
    proposal_reasons, decision_reasons = rating_inputs.rating_reasons(rating)
    return render(
        request,
        "evaluations/ratings/decide_one.html",
        {
            "nav": NAV,
            "rating": rating,
            "form": form,
            "errors": errors,
            "group_label": rules_ratings.group_label(rating.position_group),
            "proposal_reasons": proposal_reasons,
            "decision_reasons": decision_reasons,
        },
        status=400 if errors or (request.method == "POST" and form.errors) else 200,
    )


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


def _output_scope(request: HttpRequest, pk: int) -> tuple[PartyOrg, Period]:
    org = sel.get_org(request.user, pk, Action.VIEW_EVALUATION)
    period = _period(request, org)
    if period is None:
        raise Http404("Không tìm thấy")
    return org, period


@login_required
def result_list_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the result list of an organisation and period as .xlsx."""
    org, period = _output_scope(request, pk)
    buffer = io.BytesIO()
    result_xlsx(buffer, period, org)
    return _download(
        buffer.getvalue(), f"ket-qua-xep-loai-{org.code}-{period.year}.xlsx", XLSX_CONTENT_TYPE
    )


@login_required
def result_list_docx(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the result list of an organisation and period as a Party-layout .docx."""
    org, period = _output_scope(request, pk)
    return _download(
        result_docx(period, org),
        f"ket-qua-xep-loai-{org.code}-{period.year}.docx",
        DOCX_CONTENT_TYPE,
    )


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """Show counts and percentages by level for the organisation and its direct children."""
    org = sel.get_org(request.user, pk, Action.VIEW_EVALUATION)
    period = _period(request, org)
    rows = sel.subtree_report(period, org, depth=1) if period else []
    return render(
        request,
        "evaluations/ratings/report.html",
        {
            "nav": NAV,
            "org": org,
            "period": period,
            "periods": sel.periods_for(org),
            "rows": rows,
            "levels": sel.LEVELS,
            "chart": sel.chart_data(period, org, rows) if period else None,
        },
    )


@login_required
def report_xlsx_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the counts by level of every organisation of the subtree as .xlsx."""
    org, period = _output_scope(request, pk)
    buffer = io.BytesIO()
    report_xlsx(buffer, period, org)
    return _download(
        buffer.getvalue(), f"bao-cao-xep-loai-{org.code}-{period.year}.xlsx", XLSX_CONTENT_TYPE
    )


urlpatterns = [
    path("xep-loai/<int:pk>/de-xuat/", propose, name="propose"),
    path("xep-loai/<int:pk>/tap-the/", rate_collective, name="rate_collective"),
    path("xep-loai/<int:pk>/hieu-chinh/", calibration, name="calibration"),
    path("xep-loai/<int:pk>/quyet-dinh/", decide, name="decide"),
    path("xep-loai/ket-qua/<int:pk>/sua/", decide_one, name="decide_one"),
    path("xep-loai/<int:pk>/danh-sach.xlsx", result_list_xlsx, name="result_list_xlsx"),
    path("xep-loai/<int:pk>/danh-sach.docx", result_list_docx, name="result_list_docx"),
    path("xep-loai/<int:pk>/bao-cao/", report, name="report"),
    path("xep-loai/<int:pk>/bao-cao.xlsx", report_xlsx_view, name="report_xlsx"),
]
