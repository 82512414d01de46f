"""Pages of the evaluations app: self-reviews and assessments.

The member's own self-review (filled in on a phone), its Word document and return, the cell's
progress by assessment source, the assessment forms and the peers' comments.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from cosodang.core.access import Action, can, require
from cosodang.core.docx import DOCX_CONTENT_TYPE
from cosodang.core.forms import apply_errors
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.documents_cycle import self_review_docx
from cosodang.evaluations.models import (
    AssessmentSource,
    Period,
    PeriodKind,
    PeriodState,
    SelfReview,
    SelfReviewForm,
    SelfReviewState,
)
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.services import cycle as services
from cosodang.evaluations.views.cycle import LEVEL_FIELD_CHOICES, NAV
from cosodang.members import selectors as member_selectors
from cosodang.orgs import selectors as org_selectors
from cosodang.orgs.forms import date_field

SELF_REVIEW_TEXTS: tuple[tuple[str, str, str], ...] = (
    ("ideology", "1. Tư tưởng chính trị", "Lập trường, bản lĩnh; chấp hành chủ trương, đường lối."),
    ("ethics", "2. Phẩm chất đạo đức, lối sống", "Tu dưỡng, rèn luyện; gương mẫu nơi ở."),
    ("working_style", "3. Tác phong, lề lối làm việc", "Tinh thần trách nhiệm, phối hợp."),
    ("discipline", "4. Ý thức tổ chức kỷ luật", "Chấp hành nguyên tắc, điều lệnh, quy định."),
    ("task_results", "5. Kết quả thực hiện chức trách, nhiệm vụ", "Nêu việc đã làm, kết quả."),
    (
        "evidence",
        "Sản phẩm cụ thể, minh chứng",
        "Chuyên án, văn bản, số liệu; mỗi dòng một việc.",
    ),
)


def _period_for(request: HttpRequest, cell: Any) -> Period | None:
    """Return the period chosen by ?ky= (within the actor's periods) or the newest one."""
    raw = request.GET.get("ky", "") or request.POST.get("ky", "")
    if raw.isdigit():
        period = sel.get_period(request.user, int(raw))
        if not cell.path.startswith(period.org_path):
            raise Http404("Không tìm thấy")
        return period
    return sel.latest_period_for_cell(request.user, cell)


# --------------------------------------------------------------------------------------------
# The member's own self-review (phone first)
# --------------------------------------------------------------------------------------------


class SelfReviewForm_(forms.Form):
    """The member's self-review on their group's form: built from the period's data."""

    def __init__(
        self,
        *args: Any,
        specs: list[rc.CriterionSpec],
        remedies: int,
        leader: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        textarea = forms.Textarea(attrs={"rows": 4})
        for name, label, help_text in SELF_REVIEW_TEXTS:
            self.fields[name] = forms.CharField(
                label=label, help_text=help_text, required=False, widget=textarea
            )
        if leader:
            self.fields["example_duty"] = forms.CharField(
                label="Trách nhiệm nêu gương", required=False, widget=textarea
            )
        number = forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})
        for name, label in (
            ("tasks_total", "Số nhiệm vụ được giao"),
            ("tasks_on_time", "Hoàn thành đúng hạn"),
            ("tasks_above_requirement", "Hoàn thành vượt yêu cầu"),
            ("tasks_late", "Hoàn thành chậm tiến độ"),
        ):
            self.fields[name] = forms.IntegerField(
                label=label, min_value=0, required=False, widget=number
            )
        for m in rc.manifestations().items:
            self.fields[f"m_{m.id}"] = forms.BooleanField(label=m.text, required=False)
            self.fields[f"mnote_{m.id}"] = forms.CharField(
                label=f"Ghi chú {m.id}", required=False, max_length=1000
            )
        self.fields["shortcomings"] = forms.CharField(
            label="Hạn chế, khuyết điểm và nguyên nhân",
            help_text="Mỗi dòng một hạn chế: kỳ sau sẽ tự đưa vào mục khắc phục.",
            required=False,
            widget=textarea,
        )
        statuses = list(rc.form_config().remedy_statuses.items())
        for i in range(remedies):
            self.fields[f"remedy_text_{i}"] = forms.CharField(
                label=f"Hạn chế kỳ trước {i + 1}", required=False, max_length=1000
            )
            self.fields[f"remedy_status_{i}"] = forms.ChoiceField(
                label="Tình trạng", choices=statuses, required=False
            )
        self.fields["remedy_plan"] = forms.CharField(
            label="Phương hướng, biện pháp khắc phục", required=False, widget=textarea
        )
        for spec in specs:
            if spec.points is not None:
                self.fields[f"criterion_{spec.code}"] = forms.CharField(
                    label=f"{spec.title} (tối đa {spec.points} điểm)",
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                    help_text="" if spec.confirmed else "Điểm tối đa: chưa xác nhận.",
                )
            else:
                self.fields[f"criterion_{spec.code}"] = forms.ChoiceField(
                    label=spec.title,
                    choices=[("", "—"), *((g, g) for g in spec.grades)],
                    required=False,
                )
        self.fields["proposed_level"] = forms.ChoiceField(
            label="Tự nhận mức xếp loại",
            choices=LEVEL_FIELD_CHOICES,
            required=False,
            widget=forms.RadioSelect,
        )
        self.specs = specs
        self.remedy_count = remedies

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        data: dict[str, Any] = {
            name: d.get(name, "") for name in services.TEXT_FIELDS if name in self.fields
        }
        for name in rc.TASK_FIELDS:
            data[name] = d.get(name) or 0
        data["manifestations"] = {
            m.id: {"flag": bool(d.get(f"m_{m.id}")), "note": d.get(f"mnote_{m.id}", "")}
            for m in rc.manifestations().items
        }
        data["remedies"] = [
            {"text": d.get(f"remedy_text_{i}", ""), "status": d.get(f"remedy_status_{i}") or ""}
            for i in range(self.remedy_count)
        ]
        data["criterion_scores"] = {s.code: d.get(f"criterion_{s.code}", "") for s in self.specs}
        data["proposed_level"] = d.get("proposed_level", "")
        return data

    def groups(self) -> list[tuple[rc.ManifestationGroup, list[tuple[Any, Any, bool]]]]:
        """Return the manifestation fields by group, with their support tag."""
        return [
            (
                g,
                [(self[f"m_{m.id}"], self[f"mnote_{m.id}"], m.confirmed) for m in g.items],
            )
            for g in rc.manifestations().groups
        ]

    def remedy_rows(self) -> list[tuple[Any, Any]]:
        return [
            (self[f"remedy_text_{i}"], self[f"remedy_status_{i}"]) for i in range(self.remedy_count)
        ]

    def criterion_fields(self) -> list[Any]:
        return [self[f"criterion_{s.code}"] for s in self.specs]


def _initial(review: SelfReview) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(review, name) for name in services.TEXT_FIELDS}
    initial.update({name: getattr(review, name) for name in rc.TASK_FIELDS})
    for key, entry in (review.manifestations or {}).items():
        initial[f"m_{key}"] = entry.get("flag", False)
        initial[f"mnote_{key}"] = entry.get("note", "")
    for i, row in enumerate(review.remedies or []):
        initial[f"remedy_text_{i}"] = row.get("text", "")
        initial[f"remedy_status_{i}"] = row.get("status", "not_done")
    for code, value in (review.criterion_scores or {}).items():
        initial[f"criterion_{code}"] = value
    initial["proposed_level"] = review.proposed_level
    return initial


@login_required
def self_review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Let the member fill in, save and submit their own self-review for a period."""
    period = sel.get_period(request.user, pk)
    member = sel.own_member(request.user)
    if member is None or not sel.eligible_members(period).filter(pk=member.pk).exists():
        raise Http404("Không tìm thấy")
    review = sel.own_self_review(request.user, period) or services._new_review(period, member)
    specs = sel.criterion_specs(period, review.form)
    remedies = len(review.remedies or []) + 2
    editable = period.state == PeriodState.OPEN and review.state != SelfReviewState.SUBMITTED
    form = SelfReviewForm_(
        request.POST or None,
        initial=_initial(review),
        specs=specs,
        remedies=remedies,
        leader=review.form == SelfReviewForm.FORM_2B,
    )
    if request.method == "POST":
        if not editable:
            messages.error(request, "Bản kiểm điểm không sửa được lúc này.")
            return redirect("evaluations:self_review_edit", pk=period.pk)
        if form.is_valid():
            submit = request.POST.get("action") == "submit"
            try:
                saved = services.save_self_review(
                    actor=request.user, period=period, data=form.service_data(), submit=submit
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Đã nộp bản kiểm điểm." if submit else "Đã lưu bản nháp.")
                if submit:
                    return redirect("evaluations:self_review_detail", pk=saved.pk)
                return redirect("evaluations:self_review_edit", pk=period.pk)
    quarters = sel.quarter_results(member, period.year) if period.kind == PeriodKind.YEAR else []
    return render(
        request,
        "evaluations/cycle/self_review_form.html",
        {
            "period": period,
            "review": review,
            "form": form,
            "editable": editable,
            "quarters": quarters,
            "due": period.self_review_due,
            "manifestation_source": rc.manifestations(),
            "nav": NAV,
        },
    )


@login_required
def self_review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a self-review (the member's own, or one in the reader's scope)."""
    review = sel.get_self_review(request.user, pk)
    member = sel.own_member(request.user)
    own = member is not None and member.pk == review.member_id
    specs = {s.code: s for s in sel.criterion_specs(review.period, review.form)}
    return render(
        request,
        "evaluations/cycle/self_review_detail.html",
        {
            "review": review,
            "own": own,
            "hidden": not own and review.state == SelfReviewState.DRAFT,
            "can_return": review.state == SelfReviewState.SUBMITTED
            and review.period.state == PeriodState.OPEN
            and can(request.user, Action.ASSESS_MEMBER, review.member.org),
            "groups": rc.manifestations().groups,
            "flags": review.manifestations or {},
            "scores": [
                (specs[c].title if c in specs else c, v, specs[c].points if c in specs else None)
                for c, v in (review.criterion_scores or {}).items()
            ],
            "statuses": rc.form_config().remedy_statuses,
            "nav": NAV,
        },
    )


@login_required
def self_review_docx_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a self-review as .docx in the form's layout."""
    review = sel.get_self_review(request.user, pk)
    member = sel.own_member(request.user)
    if review.state == SelfReviewState.DRAFT and (member is None or member.pk != review.member_id):
        raise Http404("Không tìm thấy")
    response = HttpResponse(self_review_docx(review), content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="ban-kiem-diem-{review.period.year}-{review.member_id}.docx"'
    )
    return response


@login_required
@require_POST
def self_review_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Return a submitted self-review to its member for completion (cell committee)."""
    review = sel.get_self_review(request.user, pk)
    require(request.user, Action.ASSESS_MEMBER, review.member.org)
    try:
        services.return_self_review(
            actor=request.user, review=review, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Đã trả lại bản kiểm điểm để bổ sung.")
    return redirect("evaluations:self_review_detail", pk=review.pk)


# --------------------------------------------------------------------------------------------
# The cell: progress by source, assessments of a member
# --------------------------------------------------------------------------------------------


@login_required
def cell(request: HttpRequest, pk: int) -> HttpResponse:
    """List each member of a cell with their self-review and which sources are in or missing."""
    org = org_selectors.get_org(request.user, pk, Action.VIEW_EVALUATION)
    period = _period_for(request, org)
    rows = sel.cell_progress(period, org) if period else []
    return render(
        request,
        "evaluations/cycle/cell.html",
        {
            "org": org,
            "period": period,
            "periods": sel.periods_for_cell(request.user, org)[:10],
            "rows": rows,
            "can_assess": can(request.user, Action.ASSESS_MEMBER, org),
            "nav": NAV,
        },
    )


class AssessmentForm(forms.Form):
    """One source's assessment of a member."""

    source = forms.ChoiceField(label="Nguồn nhận xét", choices=AssessmentSource.choices)
    author_name = forms.CharField(
        label="Người/cơ quan nhận xét",
        required=False,
        max_length=255,
        help_text="Để trống: ghi tên người nhập.",
    )
    text = forms.CharField(
        label="Nội dung nhận xét", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    level = forms.ChoiceField(label="Mức đề xuất", choices=LEVEL_FIELD_CHOICES, required=False)
    score = forms.DecimalField(
        label="Điểm (nếu có)", required=False, min_value=0, max_value=100, decimal_places=2
    )
    meeting_date = date_field("Ngày họp chi bộ / ngày nhận xét", required=False)
    exempt = forms.BooleanField(
        label="Được miễn nhận xét nơi cư trú (HD 33-HD/BTCTW mục 1)", required=False
    )
    exempt_reason = forms.CharField(label="Lý do miễn", required=False, max_length=255)


@login_required
def assess(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a member's assessments in a period by source, and record one more."""
    member = member_selectors.get_member(request.user, pk)
    require(request.user, Action.ASSESS_MEMBER, member.org)
    period = _period_for(request, member.org)
    form = AssessmentForm(request.POST or None)
    if period is None:
        return render(
            request,
            "evaluations/cycle/assess.html",
            {"member": member, "period": None, "form": form, "nav": NAV},
        )
    if request.method == "POST" and "form_code" in request.POST:
        # The cell switches the member's form (e.g. Mẫu 2C outside the political system).
        try:
            services.set_self_review_form(
                actor=request.user,
                period=period,
                member=member,
                form=request.POST.get("form_code", ""),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "Đã đổi mẫu bản kiểm điểm.")
        return redirect(f"{request.path}?ky={period.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            services.add_assessment(
                actor=request.user, period=period, member=member, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Đã ghi nhận xét.")
            return redirect(f"{request.path}?ky={period.pk}")
    progress = next(
        (r for r in sel.cell_progress(period, member.org) if r.member.pk == member.pk), None
    )
    return render(
        request,
        "evaluations/cycle/assess.html",
        {
            "member": member,
            "period": period,
            "form": form,
            "assessments": sel.list_assessments(request.user, period, member),
            "progress": progress,
            "review": SelfReview.objects.filter(period=period, member=member).first(),
            "forms": SelfReviewForm.choices,
            "current_form": (
                SelfReview.objects.filter(period=period, member=member)
                .values_list("form", flat=True)
                .first()
                or sel.form_for_member(member, period.end)
            ),
            "nav": NAV,
        },
    )


class PeerCommentForm(forms.Form):
    """A member's comment on a member of their own cell."""

    text = forms.CharField(
        label="Nội dung góp ý",
        max_length=services.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Ưu điểm, khuyết điểm và điều đồng chí cần khắc phục; góp ý được ghi tên bạn.",
    )


@login_required
def peer_review(request: HttpRequest, pk: int) -> HttpResponse:
    """List the other members of the user's cell (?dv= one of them: the comment form)."""
    period = sel.get_peer_period(request.user, pk)
    context: dict[str, Any] = {"period": period, "nav": NAV}
    raw = request.POST.get("member", "") or request.GET.get("dv", "")
    if not raw:
        context["candidates"] = sel.peer_candidates(request.user, period)
        context["open"] = period.peer_review and period.state == PeriodState.OPEN
        return render(request, "evaluations/cycle/peer_list.html", context)
    member = sel.get_peer_subject(request.user, period, raw)
    form = PeerCommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_assessment(
                actor=request.user,
                period=period,
                member=member,
                source=AssessmentSource.PEER,
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Đã ghi góp ý cho đồng chí {member.full_name}.")
            return redirect("evaluations:peer_review", pk=period.pk)
    context.update({"member": member, "form": form})
    return render(request, "evaluations/cycle/peer_form.html", context)


urlpatterns = [
    path("ky/<int:pk>/ban-kiem-diem/", self_review_edit, name="self_review_edit"),
    path("ban-kiem-diem/<int:pk>/", self_review_detail, name="self_review_detail"),
    path("ban-kiem-diem/<int:pk>/docx/", self_review_docx_view, name="self_review_docx"),
    path("ban-kiem-diem/<int:pk>/tra-lai/", self_review_return, name="self_review_return"),
    path("chi-bo/<int:pk>/", cell, name="cell"),
    path("dang-vien/<int:pk>/nhan-xet/", assess, name="assess"),
    path("ky/<int:pk>/gop-y/", peer_review, name="peer_review"),
]
