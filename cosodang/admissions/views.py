"""Pages of the admission pipeline: board, candidates, case and its steps, audit, statistics."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from cosodang.admissions.selectors import audit as audit_selectors
from cosodang.admissions.selectors import stats as stats_selectors
from cosodang.core import xlsx
from cosodang.core.access import Action, can, can_anywhere, get_for
from cosodang.core.forms import apply_errors
from cosodang.core.vn import format_date
from cosodang.core.workdays import add_workdays
from cosodang.orgs import selectors as org_selectors
from cosodang.orgs.models import PartyOrg

from . import forms as f
from . import rules, selectors, services
from .config import pack_for, work_calendar
from .models import STATE_CHOICES, AdmissionCase, Introducer, Notification
from .packs import all_packs
from .rules import State

NAV = "ket-nap"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_viewer(request: HttpRequest) -> None:
    if not can_anywhere(request.user, Action.VIEW_ADMISSION):
        raise Http404


def _candidate_orgs(request: HttpRequest) -> Any:
    return org_selectors.list_assignable_orgs(request.user, Action.MANAGE_ADMISSION).filter(
        org_type__in=[t.value for t in services.CANDIDATE_ORG_TYPES]
    )


# --- board -----------------------------------------------------------------------------------


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Show the secretary's board: open cases by stage, what is missing, deadlines."""
    _require_viewer(request)
    today = timezone.localdate()
    return render(
        request,
        "admissions/board.html",
        {
            "columns": selectors.board(request.user, today),
            "candidates": selectors.list_candidates(request.user, without_open_case=True)[:50],
            "notifications": selectors.list_notifications(request.user),
            "can_manage": can_anywhere(request.user, Action.MANAGE_ADMISSION),
            "calc": f.WorkdaysForm(initial={"start": today, "days": 30}),
            "today": today,
            "nav": NAV,
        },
    )


@login_required
def workdays(request: HttpRequest) -> HttpResponse:
    """Answer the working-day calculator (an htmx fragment of the board)."""
    form = f.WorkdaysForm(request.GET or None)
    result = None
    if form.is_valid():
        day, skipped = add_workdays(
            form.cleaned_data["start"], form.cleaned_data["days"], work_calendar()
        )
        result = {"date": day, "skipped": skipped}
    return render(request, "admissions/_workdays.html", {"calc": form, "result": result})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's own reminders as read."""
    note = Notification.objects.filter(pk=pk, user_id=request.user.pk or 0).first()
    if note is None:
        raise Http404
    services.mark_notification_read(actor=request.user, notification=note)
    return redirect("admissions:board")


# --- candidates ------------------------------------------------------------------------------


@login_required
def candidate_create(request: HttpRequest) -> HttpResponse:
    """Add a candidate to a cell's pool."""
    if not can_anywhere(request.user, Action.MANAGE_ADMISSION):
        raise Http404
    orgs = _candidate_orgs(request)
    only = list(orgs[:2])
    initial = {"org": only[0]} if len(only) == 1 else {}  # a secretary has one cell
    form = f.CandidateForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            cand = services.create_candidate(
                actor=request.user, org=form.cleaned_data["org"], data=form.service_data()
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Đã thêm quần chúng ưu tú {cand}.")
            return redirect("admissions:candidate", pk=cand.pk)
    return render(
        request,
        "admissions/candidate_form.html",
        {"form": form, "title": "Thêm quần chúng ưu tú", "nav": NAV},
    )


@login_required
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a candidate with their cases; the cell may edit them and open a case."""
    cand = selectors.get_candidate(request.user, pk)
    can_manage = can(request.user, Action.MANAGE_ADMISSION, cand.org)
    form = None
    if can_manage:
        initial = {k: getattr(cand, k) for k in services.CANDIDATE_FIELDS}
        initial["org"] = cand.org
        form = f.CandidateForm(
            request.POST or None, orgs=_candidate_orgs(request), org=cand.org, initial=initial
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.update_candidate(
                    actor=request.user, candidate=cand, data=form.service_data()
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Đã lưu thay đổi.")
                return redirect("admissions:candidate", pk=cand.pk)
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "admissions/candidate_detail.html",
        {
            "candidate": cand,
            "cases": cand.cases.order_by("-id"),
            "form": form,
            "open_form": f.OpenCaseForm(initial={"opened_on": timezone.localdate()}),
            "can_manage": can_manage,
            "nav": NAV,
        },
    )


@login_required
@require_POST
def open_case(request: HttpRequest, pk: int) -> HttpResponse:
    """Open an admission case for a candidate."""
    cand = selectors.get_candidate(request.user, pk, Action.MANAGE_ADMISSION)
    form = f.OpenCaseForm(request.POST)
    if form.is_valid():
        try:
            case = services.open_case(
                actor=request.user, candidate=cand, opened_on=form.cleaned_data["opened_on"]
            )
        except ValidationError as exc:
            for m in exc.messages:
                messages.error(request, m)
        else:
            messages.success(request, "Đã lập hồ sơ kết nạp.")
            return redirect("admissions:case", pk=case.pk)
    else:
        messages.error(request, "Ngày lập hồ sơ không hợp lệ.")
    return redirect("admissions:candidate", pk=cand.pk)


# --- the case page and its steps -------------------------------------------------------------


@dataclass(frozen=True)
class StepForm:
    """A form on the case page: its title, who may use it, in which states, and the service."""

    title: str
    form: type[forms.Form]
    action: Action
    states: tuple[State, ...]
    run: Callable[[Any, AdmissionCase, dict[str, Any], HttpRequest], Any]
    multipart: bool = False


def _org_form(cls: type[forms.Form]) -> Callable[..., forms.Form]:
    return lambda case, *a, **kw: cls(*a, org=case.org, **kw)  # type: ignore[call-arg]


DOSSIER = (State.DOSSIER, State.CELL_REVIEW)
OPEN = tuple(s for s in State if s not in rules.TERMINAL)

STEPS: dict[str, StepForm] = {
    "dossier": StepForm(
        "Giấy chứng nhận, thẩm tra lý lịch",
        f.DossierForm,
        Action.MANAGE_ADMISSION,
        DOSSIER,
        lambda a, c, d, r: services.update_dossier(actor=a, case=c, **d),
    ),
    "introducer": StepForm(
        "Thêm người giới thiệu (3-KNĐ)",
        f.IntroducerForm,
        Action.MANAGE_ADMISSION,
        DOSSIER,
        lambda a, c, d, r: services.add_introducer(actor=a, case=c, **d),
    ),
    "upload": StepForm(
        "Tải lên văn bản",
        f.DocumentForm,
        Action.MANAGE_ADMISSION,
        OPEN,
        lambda a, c, d, r: services.add_document(actor=a, case=c, **d),
        multipart=True,
    ),
    "generate": StepForm(
        "Tạo văn bản theo mẫu (.docx)",
        f.GenerateForm,
        Action.MANAGE_ADMISSION,
        OPEN,
        lambda a, c, d, r: services.generate_document(actor=a, case=c, **d),
    ),
    "submit": StepForm(
        "Trình hồ sơ ra chi bộ",
        f.DateForm,
        Action.MANAGE_ADMISSION,
        (State.DOSSIER,),
        lambda a, c, d, r: services.submit_dossier(actor=a, case=c, on=d["on"]),
    ),
    "cell-vote": StepForm(
        "Kết quả chi bộ biểu quyết",
        f.CellVoteForm,
        Action.MANAGE_ADMISSION,
        (State.CELL_REVIEW, State.PROBATION),
        lambda a, c, d, r: services.record_cell_vote(
            actor=a, case=c, **{**d, "proposal": d.get("proposal") or rules.Proposal.ADMIT}
        ),
    ),
    "branch": StepForm(
        "Thẩm định của đảng ủy bộ phận (7-KNĐ)",
        f.DateForm,
        Action.DECIDE_ADMISSION,
        (State.BRANCH_APPRAISAL,),
        lambda a, c, d, r: services.record_branch_appraisal(actor=a, case=c, on=d["on"]),
    ),
    "committee-vote": StepForm(
        "Kết quả đảng ủy cơ sở biểu quyết",
        f.CommitteeVoteForm,
        Action.DECIDE_ADMISSION,
        (State.COMMITTEE_REVIEW, State.RECOGNITION_COMMITTEE),
        lambda a, c, d, r: services.record_committee_vote(actor=a, case=c, **d),
    ),
    "extend": StepForm(
        "Gia hạn thời hạn quyết định kết nạp",
        f.ExtendForm,
        Action.DECIDE_ADMISSION,
        (State.BRANCH_APPRAISAL, State.COMMITTEE_REVIEW, State.AWAITING_DECISION),
        lambda a, c, d, r: services.extend_decision(actor=a, case=c, **d),
    ),
    "decision": StepForm(
        "Quyết định kết nạp (9-KNĐ)",
        f.DecisionForm,
        Action.DECIDE_ADMISSION,
        (State.AWAITING_DECISION,),
        lambda a, c, d, r: services.decide_admission(actor=a, case=c, **d),
    ),
    "ceremony": StepForm(
        "Lễ kết nạp",
        f.CeremonyForm,
        Action.MANAGE_ADMISSION,
        (State.AWAITING_CEREMONY,),
        lambda a, c, d, r: services.hold_ceremony(actor=a, case=c, **d),
    ),
    "helper": StepForm(
        "Phân công đảng viên giúp đỡ",
        f.HelperForm,
        Action.MANAGE_ADMISSION,
        (State.AWAITING_CEREMONY, State.PROBATION),
        lambda a, c, d, r: services.assign_helper(actor=a, case=c, **d),
    ),
    "note": StepForm(
        "Ghi nhận xét thời kỳ dự bị",
        f.NoteForm,
        Action.MANAGE_ADMISSION,
        (State.PROBATION, State.RECOGNITION_COMMITTEE, State.ESCALATED),
        lambda a, c, d, r: services.add_probation_note(actor=a, case=c, **d),
    ),
    "extend-recognition": StepForm(
        "Gia hạn thời hạn quyết định công nhận chính thức",
        f.ExtendForm,
        Action.DECIDE_ADMISSION,
        (State.RECOGNITION_COMMITTEE, State.AWAITING_RECOGNITION),
        lambda a, c, d, r: services.extend_recognition(actor=a, case=c, **d),
    ),
    "recognise": StepForm(
        "Quyết định công nhận đảng viên chính thức",
        f.DecisionDateForm,
        Action.DECIDE_ADMISSION,
        (State.AWAITING_RECOGNITION, State.ESCALATED),
        lambda a, c, d, r: services.recognise(actor=a, case=c, **d),
    ),
    "remove": StepForm(
        "Quyết định xóa tên đảng viên dự bị",
        f.ReasonForm,
        Action.DECIDE_ADMISSION,
        (State.REMOVAL_PROPOSED, State.ESCALATED),
        lambda a, c, d, r: services.remove_from_list(
            actor=a, case=c, decision_date=d["on"], reason=d["reason"]
        ),
    ),
    "stop": StepForm(
        "Dừng xét (có lý do)",
        f.ReasonForm,
        Action.MANAGE_ADMISSION,
        tuple(s for (s, step) in rules.TRANSITIONS if step == rules.Step.STOP),
        lambda a, c, d, r: services.stop_case(actor=a, case=c, on=d["on"], reason=d["reason"]),
    ),
}
ORG_FORMS = (f.IntroducerForm, f.HelperForm)


def _make_form(
    spec: StepForm, case: AdmissionCase, data: Any = None, files: Any = None
) -> forms.Form:
    initial = {}
    today = timezone.localdate()
    for name in ("on", "doc_date", "meeting_date", "decision_date", "letter_date", "day"):
        initial[name] = today
    if spec.form in ORG_FORMS:
        return spec.form(data, files, org=case.org, initial=initial)  # type: ignore[call-arg]
    return spec.form(data, files, initial=initial)


def _case_context(
    request: HttpRequest, case: AdmissionCase, bound: dict[str, forms.Form]
) -> dict[str, Any]:
    today = timezone.localdate()
    state = State(case.state)
    step_forms = []
    for slug, spec in STEPS.items():
        if slug in bound or (state in spec.states and can(request.user, spec.action, case.org)):
            step_forms.append((slug, spec, bound.get(slug) or _make_form(spec, case)))
    full = selectors.case_queryset().get(pk=case.pk)
    row = selectors.case_row(full, today)
    return {
        "case": case,
        "row": row,
        "documents": case.documents.select_related("uploaded_by").order_by("code", "-id"),
        "introducers": case.introducers.select_related("member"),
        "votes": case.votes.all(),
        "notes": case.notes.select_related("author"),
        "timeline": selectors.timeline(case),
        "step_forms": step_forms,
        "can_manage": can(request.user, Action.MANAGE_ADMISSION, case.org),
        "checklist": _checklist(full),
        "probation_end": rules.probation_end(case.ceremony_date, pack_for(case.ceremony_date))
        if case.ceremony_date
        else None,
        "nav": NAV,
    }


def _checklist(case: AdmissionCase) -> list[tuple[str, str, bool]]:
    """Return (code, title, on file) for the documents of the dossier so far."""
    have = {d.code for d in case.documents.all()}
    state = State(case.state)
    step = selectors.WAITING_STEP.get(state)
    wanted: list[str] = list(rules.DOSSIER_CODES)
    if step is not None:
        wanted += [
            c
            for c in rules.required_documents(step, has_branch=True, union_introducer=True)
            if c not in wanted
        ]
    return [(c, rules.FORMS[c].title, c in have) for c in wanted]


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a case: checklist, deadline, documents, introducers, votes, timeline, step forms."""
    case = selectors.get_case(request.user, pk)
    return render(request, "admissions/case_detail.html", _case_context(request, case, {}))


@login_required
@require_POST
def case_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Take one step on a case; a refusal re-shows the page with the rule that blocked it."""
    spec = STEPS.get(step)
    if spec is None:
        raise Http404
    case = selectors.get_case(request.user, pk, spec.action)
    form = _make_form(spec, case, request.POST, request.FILES)
    if form.is_valid():
        try:
            spec.run(request.user, case, dict(form.cleaned_data), request)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Đã ghi: {spec.title}.")
            return redirect(reverse("admissions:case", args=[case.pk]) + "#timeline")
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, f"Chưa ghi được «{spec.title}»: {error}")
    case = selectors.get_case(request.user, pk)
    return render(
        request,
        "admissions/case_detail.html",
        _case_context(request, case, {step: form}),
        status=200,
    )


@login_required
@require_POST
def introducer_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an introducer before the cell considers the case."""
    intro = get_for(
        request.user, Introducer.objects.select_related("case"), Action.MANAGE_ADMISSION, pk=pk
    )
    try:
        services.remove_introducer(actor=request.user, introducer=intro)
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    return redirect("admissions:case", pk=intro.case_id)


@login_required
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Download one document of a case the user may see."""
    doc = selectors.get_document(request.user, pk)
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=doc.filename)


# --- superiors: audit view, export, statistics, parameters -----------------------------------


@dataclass(frozen=True)
class AuditQuery:
    """The audit view's filters as read from the query string, and the picker's search."""

    filters: audit_selectors.AuditFilters
    org_q: str

    def querystring(self) -> str:
        """Return the filters as a query string (the export follows the page)."""
        q = QueryDict(mutable=True)
        f = self.filters
        if f.org is not None:
            q["org"] = str(f.org.pk)
        for key, value in (("state", f.state), ("flag", f.flag or ""), ("year", f.year or "")):
            if value:
                q[key] = str(value)
        return q.urlencode()


def _audit_query(request: HttpRequest) -> AuditQuery:
    get = request.GET
    org_q = get.get("org_q", "").strip()[:100]
    org = None
    if get.get("org", "").isdigit():
        org = audit_selectors.get_audit_org(request.user, int(get["org"]))
    elif org_q:
        found = audit_selectors.audit_orgs(request.user, org_q)
        if len(found) == 1:  # without JavaScript: a search that names one organisation
            org = found[0]
    state = get.get("state", "")
    if state not in dict(STATE_CHOICES):
        state = ""
    flag_value = get.get("flag", "") or ("flagged" if get.get("flagged") == "1" else "")
    flag = audit_selectors.Flag(flag_value) if flag_value in audit_selectors.Flag else None
    year_text = get.get("year", "")
    year = int(year_text) if year_text.isdigit() and 1950 <= int(year_text) <= 2100 else None
    return AuditQuery(
        audit_selectors.AuditFilters(org=org, state=state, flag=flag, year=year), org_q
    )


AUDIT_PAGE_SIZE = 100


@login_required
def audit_view(request: HttpRequest) -> HttpResponse:
    """Show the cases of the subtree with rule violations and overdue steps flagged, by pages."""
    _require_viewer(request)
    query = _audit_query(request)
    org = query.filters.org
    orgs = audit_selectors.audit_orgs(request.user, query.org_q, org)
    if request.headers.get("HX-Request") and "picker" in request.GET:
        return render(
            request, "admissions/audit.html#org_options", {"orgs": orgs, "org": org, "q": query}
        )
    audit = audit_selectors.audit_page(
        request.user, query.filters, request.GET.get("page"), AUDIT_PAGE_SIZE
    )
    return render(
        request,
        "admissions/audit.html",
        {
            "rows": audit.rows,
            "page_obj": audit.page,
            "total": audit.total,
            "flagged": audit.flagged,
            "q": query,
            "org": org,
            "orgs": orgs,
            "states": STATE_CHOICES,
            "flags": list(audit_selectors.FLAG_LABELS.items()),
            "years": audit_selectors.audit_years(request.user),
            "nav": NAV,
        },
    )


EXPORT_COLUMNS = [
    xlsx.Column("Họ và tên", 26),
    xlsx.Column("Chi bộ", 32),
    xlsx.Column("Bước", 28),
    xlsx.Column("Ngày lập hồ sơ", 14),
    xlsx.Column("Nghị quyết chi bộ", 14),
    xlsx.Column("Quyết định kết nạp", 14),
    xlsx.Column("Lễ kết nạp", 14),
    xlsx.Column("Ngày chính thức", 14),
    xlsx.Column("Thời hạn tiếp theo", 30),
    xlsx.Column("Hạn", 14),
    xlsx.Column("Còn (ngày làm việc)", 10),
    xlsx.Column("Còn thiếu", 40),
    xlsx.Column("Vi phạm", 60),
    xlsx.Column("Cần đối chiếu", 50),
    xlsx.Column("Lý do dừng", 40),
]


@login_required
def audit_export(request: HttpRequest) -> FileResponse:
    """Download the audit view, with its filters, as .xlsx: every page's rows."""
    _require_viewer(request)
    rows = audit_selectors.audit_rows(request.user, _audit_query(request).filters)

    def values() -> Any:
        for r in rows:
            c = r.case
            yield [
                c.candidate.full_name,
                c.org.name,
                c.state_label,
                c.opened_on,
                c.cell_resolution_date,
                c.decision_date,
                c.ceremony_date,
                c.official_date,
                r.deadline.what if r.deadline else "",
                r.deadline.due if r.deadline else None,
                r.days_left,
                "; ".join(r.missing),
                "; ".join(r.violations),
                "; ".join(r.warnings),
                c.stop_reason,
            ]

    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    xlsx.write_sheet(spool, title="Hồ sơ kết nạp", columns=EXPORT_COLUMNS, rows=values())
    spool.seek(0)
    name = f"ket-nap-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX)


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    """Show admissions per year and organisation, time per stage, share stopped and why.

    The table goes one level down the tree: the organisation's direct sub-organisations, each
    a link to its own statistics; the export lists every organisation.
    """
    _require_viewer(request)
    org = _audit_query(request).filters.org
    stats = stats_selectors.statistics(request.user, org)
    parent = stats_selectors.stats_parent(request.user, org) if org is not None else None
    return render(
        request,
        "admissions/statistics.html",
        {"stats": stats, "chart": stats.chart(), "org": org, "parent": parent, "nav": NAV},
    )


@login_required
def statistics_export(request: HttpRequest) -> FileResponse:
    """Download the statistics (same organisation filter) as .xlsx, one sheet per table."""
    _require_viewer(request)
    org = _audit_query(request).filters.org
    stats = stats_selectors.statistics(request.user, org)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    write_statistics(spool, stats, org)
    spool.seek(0)
    name = f"thong-ke-ket-nap-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX)


def write_statistics(out: Any, stats: stats_selectors.Stats, org: PartyOrg | None) -> None:
    """Write the statistics workbook: summary, per year and organisation, stages, stops."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Tổng hợp"
    summary.append(["Thống kê kết nạp đảng viên", org.name if org else "Toàn phạm vi"])
    summary.append(["Ngày lập", format_date(timezone.localdate())])
    summary.append(["Số hồ sơ", stats.total])
    summary.append(["Đã công nhận chính thức", stats.official])
    summary.append(["Dừng xét hoặc xóa tên", stats.stopped])
    summary.append(["Tỷ lệ dừng xét hoặc xóa tên (%)", round(stats.stopped_share, 1)])
    sheets: list[tuple[str, list[str], list[Any]]] = [
        ("Theo năm và tổ chức", ["Năm", "Chi bộ", "Số kết nạp"], stats.per_year_org),
        (
            "Thời gian mỗi bước",
            ["Bước", "Ngày làm việc (trung vị)", "Số hồ sơ"],
            stats.stage_days,
        ),
        ("Lý do dừng", ["Lý do", "Số hồ sơ", "% số hồ sơ"], stats.stop_rows),
    ]
    for title, head, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(head)
        for row in rows:
            sheet.append(list(row))
        sheet.column_dimensions["A"].width = 40
        sheet.column_dimensions["B"].width = 28
    book.save(out)


@login_required
def parameters(request: HttpRequest) -> HttpResponse:
    """List the rule-pack parameters with their sources and «chưa xác nhận» flags."""
    today = timezone.localdate()
    return render(
        request,
        "admissions/parameters.html",
        {
            "packs": list(reversed(all_packs())),
            "current": pack_for(today),
            "forms": rules.FORMS.values(),
            "transitions": [
                (rules.STATE_LABELS[s], rules.STEP_LABELS[st], rules.STATE_LABELS[t])
                for (s, st), t in rules.TRANSITIONS.items()
            ],
            "today": format_date(today),
            "nav": NAV,
        },
    )
