"""Pages for member spreadsheets: export the list, upload → preview → confirm → result."""

from __future__ import annotations

import tempfile
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cosodang.core.access import Action, can_anywhere
from cosodang.orgs import selectors as org_selectors

from . import exporting, importing
from . import importing_rules as R
from .views import _filters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REJECTIONS_SHOWN = 200


def _xlsx_response(build: Any, filename: str) -> FileResponse:
    """Spool a workbook to a temporary file and send it as a download."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    build(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


@login_required
def export(request: HttpRequest) -> FileResponse:
    """Download the member list, with its current filters, as .xlsx in the import schema."""
    filters = _filters(request)
    scope = filters.org.code if filters.org is not None else "pham-vi"
    name = f"dang-vien-{scope}-{timezone.localdate():%Y%m%d}.xlsx"
    return _xlsx_response(lambda out: exporting.export_members(request.user, filters, out), name)


class ImportForm(forms.Form):
    """Upload a member spreadsheet with its target organisation and mode."""

    file = forms.FileField(label="Tệp Excel (.xlsx)", allow_empty_file=True)
    org_code = forms.CharField(
        label="Mã tổ chức nhận",
        max_length=32,
        help_text="Chỉ nhận các dòng thuộc tổ chức này và các tổ chức trực thuộc; dòng không "
        "ghi mã chi bộ được xếp vào tổ chức này (nếu là chi bộ).",
    )
    mode = forms.ChoiceField(
        label="Với đảng viên đã có (trùng số CCCD hoặc số thẻ)",
        choices=[(m.value, R.MODE_LABELS[m]) for m in R.ImportMode],
        initial=R.ImportMode.SKIP.value,
        widget=forms.RadioSelect,
    )
    partial = forms.BooleanField(
        label="Nhập các dòng hợp lệ, bỏ qua các dòng lỗi (mặc định: có dòng lỗi thì không nhập "
        "dòng nào)",
        required=False,
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_org_code(self) -> Any:
        org = importing.find_target_org(self.actor, self.cleaned_data["org_code"])
        if org is None:
            raise forms.ValidationError("Không tìm thấy tổ chức có mã này trong phạm vi của bạn.")
        return org


def _initial_org(request: HttpRequest) -> str:
    """Return the code to pre-fill: the list's organisation if editable, else the top one."""
    org_id = request.GET.get("org", "")
    if org_id.isdigit():
        try:
            return org_selectors.get_org(request.user, int(org_id), Action.EDIT_MEMBER).code
        except Http404:
            pass
    org = importing.default_target_org(request.user)
    return org.code if org is not None else ""


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """Upload a spreadsheet; file-level problems are shown on the form, rows on the preview."""
    if not can_anywhere(request.user, Action.EDIT_MEMBER):
        raise Http404
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        actor=request.user,
        initial={} if request.method == "POST" else {"org_code": _initial_org(request)},
    )
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            if upload_file.size > importing.max_bytes():
                raise importing.ImportFileError(
                    f"Tệp quá lớn; giới hạn là {importing.max_bytes() // 1_048_576} MB."
                )
            batch = importing.start_import(
                actor=request.user,
                data=upload_file.read(),
                filename=upload_file.name or "tep.xlsx",
                org=form.cleaned_data["org_code"],
                mode=form.cleaned_data["mode"],
                partial=form.cleaned_data["partial"],
            )
        except importing.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("members:import_batch", pk=batch.pk)
    return render(
        request,
        "members/import_upload.html",
        {"form": form, "batches": importing.list_batches(request.user), "nav": "members"},
    )


def _batch_context(batch: Any) -> dict[str, Any]:
    counts = batch.counts or {}
    samples = (batch.preview or {}).get("samples", {})
    outcomes = [
        (o.value, R.OUTCOME_LABELS[o], counts.get(o.value, 0), samples.get(o.value, []))
        for o in R.Outcome
        if o != R.Outcome.REJECTED
    ]
    rejected = counts.get(R.Outcome.REJECTED.value, 0)
    writes = counts.get(R.Outcome.NEW.value, 0) + counts.get(R.Outcome.UPDATED.value, 0)
    return {
        "batch": batch,
        "outcomes": outcomes,
        "rejected": rejected,
        "rejections": batch.rejections[:REJECTIONS_SHOWN],
        "more_rejections": max(len(batch.rejections) - REJECTIONS_SHOWN, 0),
        "busy": batch.state in R.BUSY_STATES,
        "can_confirm": batch.state == R.ImportState.READY
        and writes > 0
        and (rejected == 0 or batch.partial),
        "can_cancel": R.next_state(batch.state, R.ImportAction.CANCEL) is not None,
        "unknown": (batch.preview or {}).get("unknown", []),
        "nav": "members",
    }


@login_required
@never_cache
def batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a batch: progress while busy, the preview when ready, the result when done."""
    batch = importing.get_batch(request.user, pk)
    return render(request, "members/import_batch.html", _batch_context(batch))


@login_required
@never_cache
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the page's polling with the progress block; reload the page once finished."""
    batch = importing.get_batch(request.user, pk, progress_only=True)
    busy = batch.state in R.BUSY_STATES
    response = render(request, "members/import_progress.html", {"batch": batch, "busy": busy})
    if not busy and request.headers.get("HX-Request"):
        response["HX-Redirect"] = reverse("members:import_batch", args=[batch.pk])
    return response


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a previewed batch; confirming twice (or refreshing) changes nothing."""
    batch = importing.get_batch(request.user, pk)
    importing.confirm_import(actor=request.user, batch=batch)
    return redirect("members:import_batch", pk=batch.pk)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Drop a batch that has not been confirmed."""
    batch = importing.get_batch(request.user, pk)
    if importing.cancel_import(actor=request.user, batch=batch) is not None:
        messages.info(request, f"Đã hủy đợt nhập tệp «{batch.filename}».")
    return redirect("members:import_upload")


@login_required
def report(request: HttpRequest, pk: int) -> FileResponse:
    """Download the rejected rows as uploaded, each with its row number and reason."""
    batch = importing.get_batch(request.user, pk)
    if not batch.rejections or batch.state == R.ImportState.CANCELLED:
        raise Http404  # nothing to report, or the stored file was dropped
    header, rows = importing.rejected_rows(batch)
    name = f"dong-bi-tu-choi-dot-{batch.pk}.xlsx"
    return _xlsx_response(lambda out: exporting.write_rejected_rows(out, header, rows), name)
