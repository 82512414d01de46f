"""Pages of the evaluations app: stored rule packs (list, readable detail, clone, edit a clone's
unconfirmed parameters) and the rule simulator."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone

from cosodang.core.access import Action, can, can_anywhere, get_for, visible_to
from cosodang.evaluations.rules import SubjectInputError
from cosodang.evaluations.rules_packs import Param, editable_parameters
from cosodang.evaluations.schema import LEVELS_BEST_FIRST, SUBJECT_KIND_LABELS, RulePack
from cosodang.evaluations.selectors import packs as selectors
from cosodang.evaluations.services import packs as services
from cosodang.orgs.models import PartyOrg

NAV = "danh-gia"
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
LEVEL_OPTIONS = [("", "— không có —")] + [(lv.value, lv.value) for lv in LEVELS_BEST_FIRST]


def date_field(label: str, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}),
        input_formats=DATE_FORMATS,
        error_messages={"invalid": "Ngày không hợp lệ (dd/mm/yyyy)."},
    )


def _chrome() -> dict[str, Any]:
    """Return the navigation context shared by these pages."""
    try:
        index_url = reverse("evaluations:index")
    except NoReverseMatch:  # the evaluations home page belongs to another area
        index_url = ""
    return {"nav": NAV, "index_url": index_url}


def _count_field(label: str, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": "0"}),
        error_messages={"invalid": "Phải là số nguyên.", "min_value": "Phải ≥ 0."},
    )


# --------------------------------------------------------------------------------------------
# List and detail
# --------------------------------------------------------------------------------------------


@login_required
def pack_list(request: HttpRequest) -> HttpResponse:
    """List the rule packs the user may read, with their unconfirmed parameters counted."""
    return render(
        request,
        "evaluations/packs/list.html",
        {
            "rows": selectors.pack_rows(request.user),
            "may_simulate": selectors.may_simulate(request.user),
            **_chrome(),
        },
    )


@login_required
def pack_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a whole pack readably, every unconfirmed parameter flagged with its note."""
    stored = selectors.get_stored_pack(request.user, pk)
    may_edit = stored.owner is not None and can(request.user, Action.MANAGE_RULE_PACK, stored.owner)
    return render(
        request,
        "evaluations/packs/detail.html",
        {
            "view": selectors.pack_view(stored),
            "stored": stored,
            "may_clone": can_anywhere(request.user, Action.MANAGE_RULE_PACK),
            "may_edit": may_edit,
            "may_simulate": selectors.may_simulate(request.user),
            **_chrome(),
        },
    )


# --------------------------------------------------------------------------------------------
# Clone
# --------------------------------------------------------------------------------------------


class CloneForm(forms.Form):
    """Copy a pack under a new code for an organisation the user manages."""

    code = forms.CharField(
        label="Mã gói mới",
        max_length=40,
        help_text="Chữ in hoa không dấu, số, '-' hoặc '_', ví dụ QD366-HN.",
    )
    title = forms.CharField(label="Tên gói mới", max_length=255)
    owner_code = forms.CharField(
        label="Mã tổ chức áp dụng",
        max_length=32,
        help_text="Gói sao chép chỉ hiển thị trong tổ chức này và các tổ chức trực thuộc.",
    )
    effective_from = date_field("Hiệu lực từ ngày")
    effective_to = date_field("Hiệu lực đến ngày (bỏ trống: chưa hết hiệu lực)", required=False)


def _top_managed_org(actor: Any) -> PartyOrg | None:
    qs = visible_to(actor, PartyOrg.objects.all(), Action.MANAGE_RULE_PACK)
    return qs.order_by("depth", "path").first()


@login_required
def pack_clone(request: HttpRequest, pk: int) -> HttpResponse:
    """Clone a pack the user may read into one owned by an organisation they manage."""
    source = selectors.get_stored_pack(request.user, pk)
    if not can_anywhere(request.user, Action.MANAGE_RULE_PACK):
        raise Http404("Không tìm thấy")
    initial: dict[str, Any] = {
        "title": f"{source.title} (bản điều chỉnh)"[:255],
        "effective_from": source.effective_from,
        "effective_to": source.effective_to,
    }
    if request.method != "POST":
        top = _top_managed_org(request.user)
        if top is not None:
            initial["owner_code"] = top.code
            initial["code"] = f"{source.code}-{top.code}".upper()[:40]
    form = CloneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            owner = get_for(
                request.user,
                PartyOrg.objects.all(),
                Action.MANAGE_RULE_PACK,
                code=data["owner_code"].strip(),
            )
        except Http404:
            form.add_error(
                "owner_code", "Không tìm thấy tổ chức có mã này trong phạm vi được điều chỉnh."
            )
        else:
            try:
                clone = services.clone_stored_pack(
                    actor=request.user,
                    source=source,
                    owner=owner,
                    code=data["code"],
                    title=data["title"],
                    effective_from=data["effective_from"],
                    effective_to=data["effective_to"],
                )
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, f"Đã sao chép thành gói {clone.code}.")
                return redirect("evaluations:pack_detail", pk=clone.pk)
    return render(
        request,
        "evaluations/packs/clone.html",
        {"form": form, "source": source, **_chrome()},
    )


def _apply(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service error on the form: on the field it names, else above the form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for name, errors in exc.message_dict.items():
        for message in errors:
            if name in form.fields:
                form.add_error(name, message)
            elif name == "__all__":
                form.add_error(None, message)
            else:
                form.add_error(None, f"{name}: {message}")


# --------------------------------------------------------------------------------------------
# Edit a clone's unconfirmed parameters
# --------------------------------------------------------------------------------------------


def _param_field(param: Param) -> forms.Field:
    # The table's note is shown once above its fields (the page groups them by table).
    if param.kind == "bool":
        return forms.BooleanField(label=param.label, required=False)
    if param.kind == "count":
        return _count_field(param.label)
    if param.kind == "choice":
        return forms.ChoiceField(label=param.label, choices=param.choices)
    return forms.DecimalField(
        label=param.label,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={"invalid": "Phải là một số (dấu chấm thập phân, ví dụ 0.25)."},
    )


def _initial(param: Param) -> object:
    if param.kind == "count":
        return int(param.value)
    return param.value


class ParametersForm(forms.Form):
    """One field per value of the pack's unconfirmed rule tables, plus a reason for the log."""

    def __init__(self, *args: Any, params: list[Param], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params = params
        for param in params:
            field = _param_field(param)
            field.initial = _initial(param)
            self.fields[param.path] = field
        self.fields["reason"] = forms.CharField(
            label="Lý do điều chỉnh (ghi vào nhật ký thay đổi)",
            required=False,
            max_length=500,
            widget=forms.Textarea(attrs={"rows": 2}),
        )

    def groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """Return (table path, note, fields) per unconfirmed table, in the pack's order."""
        out: dict[str, tuple[str, list[forms.BoundField]]] = {}
        for param in self.params:
            out.setdefault(param.table, (param.note, []))[1].append(self[param.path])
        return [(table, note, fields) for table, (note, fields) in out.items()]

    def values(self) -> dict[str, object]:
        """Return the cleaned value of every parameter field."""
        return {p.path: self.cleaned_data[p.path] for p in self.params}


@login_required
def pack_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the unconfirmed parameters of a clone (built-in packs are read-only)."""
    stored = selectors.get_managed_clone(request.user, pk)
    pack: RulePack = selectors.rule_pack(stored)
    form = ParametersForm(request.POST or None, params=editable_parameters(pack))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_clone_parameters(
                actor=request.user,
                stored=stored,
                values=form.values(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, "Đã lưu các tham số của gói quy tắc.")
            return redirect("evaluations:pack_detail", pk=stored.pk)
    return render(
        request,
        "evaluations/packs/edit.html",
        {"form": form, "stored": stored, "reason_fields": [form["reason"]], **_chrome()},
    )


# --------------------------------------------------------------------------------------------
# Rule simulator
# --------------------------------------------------------------------------------------------


class DisciplineRow(forms.Form):
    """One disciplinary decision: form and date (a blank row is ignored)."""

    form = forms.ChoiceField(label="Hình thức kỷ luật", required=False)
    date = date_field("Ngày quyết định", required=False)

    def __init__(self, *args: Any, form_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = [("", "—"), *form_choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("form")) != bool(data.get("date")):
            raise ValidationError("Cần cả hình thức và ngày quyết định (hoặc bỏ trống cả hai).")
        return data


DisciplineRows = forms.formset_factory(DisciplineRow, extra=1, max_num=50, absolute_max=50)


class SimulatorForm(forms.Form):
    """One subject's inputs, as in POST /api/v1/evaluations/simulate."""

    pack = forms.ChoiceField(label="Gói quy tắc", required=False)
    date = date_field("Ngày kết thúc kỳ đánh giá")
    subject_kind = forms.ChoiceField(label="Đối tượng", choices=list(SUBJECT_KIND_LABELS.items()))
    score = forms.DecimalField(
        label="Điểm tự chấm / được chấm (0–100)",
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={
            "invalid": "Phải là một số (ví dụ 89.5).",
            "min_value": "Phải từ 0 đến 100.",
            "max_value": "Phải từ 0 đến 100.",
        },
    )
    tasks_total = _count_field("Số nhiệm vụ được giao")
    tasks_on_time = _count_field("Số nhiệm vụ hoàn thành đúng tiến độ")
    tasks_above_requirement = _count_field("Số nhiệm vụ hoàn thành vượt yêu cầu", required=False)
    tasks_late = _count_field("Số nhiệm vụ hoàn thành chậm tiến độ", required=False)
    degradation_concluded = forms.BooleanField(
        label="Bị cấp có thẩm quyền kết luận suy thoái, 'tự diễn biến', 'tự chuyển hóa'",
        required=False,
    )
    professional_level = forms.ChoiceField(
        label="Xếp loại cán bộ, công chức (chuyên môn)", choices=LEVEL_OPTIONS, required=False
    )
    collective_level = forms.ChoiceField(
        label="Mức của tập thể (nếu là người đứng đầu)", choices=LEVEL_OPTIONS, required=False
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        stored = selectors.list_simulator_packs(actor)
        self.fields["pack"].choices = [  # type: ignore[attr-defined]
            ("", "Theo ngày (gói có hiệu lực vào ngày kết thúc kỳ)"),
            *[(s.code, f"{s.code} — {s.title}") for s in stored],
        ]
        names: dict[str, str] = {}
        for s in stored:
            for f in selectors.rule_pack(s).discipline.forms:
                names.setdefault(f.code, f.name)
        self.form_choices = sorted(names.items(), key=lambda kv: kv[1])
        self.grade_fields: list[str] = []
        self.framework_title = ""
        self._add_grade_fields()

    def _peek_pack(self) -> RulePack | None:
        """Return the pack the bound data points at, to offer per-criterion grade fields."""
        source = self.data if self.is_bound else self.initial
        if not source.get("date"):
            return None
        try:
            on = self.fields["date"].clean(source.get("date", ""))
            return selectors.resolve_pack(self.actor, source.get("pack") or None, on)
        except (ValidationError, selectors.SimulationError):
            return None

    def _add_grade_fields(self) -> None:
        pack = self._peek_pack()
        if pack is None or pack.grading is None:
            return
        source = self.data if self.is_bound else self.initial
        kind = str(source.get("subject_kind") or "member")
        found = selectors.default_framework(pack, kind)
        if found is None:
            return
        fw_id, criteria = found
        self.framework_title = next(f.title for f in pack.frameworks if f.id == fw_id)
        grades = [("", "—"), *[(g.code, g.name) for g in pack.grading.grades]]
        for code, title in criteria:
            name = f"grade_{code}"
            self.fields[name] = forms.ChoiceField(label=title, choices=grades, required=True)
            self.grade_fields.append(name)

    def grade_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.grade_fields]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.grade_fields]


def _place_error(form: SimulatorForm, rows: forms.BaseFormSet, field: str, message: str) -> None:
    """Show an engine or simulator error on the input it names."""
    if field.startswith("disciplines["):
        index = int(field[len("disciplines[") : field.index("]")])
        row_forms = [f for f in rows.forms if f.has_changed()]
        if index < len(row_forms):
            row_forms[index].add_error("form" if field.endswith("form") else "date", message)
            return
    name = {"period": "date"}.get(field, field)
    if name.startswith("grades."):
        name = "grade_" + name.split(".", 1)[1]
    if name in form.fields:
        form.add_error(name, message)
    else:
        form.add_error(None, f"{field}: {message}")


@login_required
def simulator(request: HttpRequest) -> HttpResponse:
    """Rate one subject under a pack and list the reasons (nothing is stored)."""
    if not selectors.may_simulate(request.user):
        raise Http404("Không tìm thấy")
    bound = "date" in request.GET
    if bound and "add_row" in request.GET:
        # One more discipline row: show the entered values again, without rating.
        data = request.GET.copy()
        total = int(data.get("disc-TOTAL_FORMS", "1") or 1)
        data["disc-TOTAL_FORMS"] = str(min(total + 1, 50))
        form = SimulatorForm(None, actor=request.user, initial=request.GET.dict())
        rows = DisciplineRows(data, prefix="disc", form_kwargs={"form_choices": form.form_choices})
        return _render_simulator(request, form, rows, None)
    form = SimulatorForm(
        request.GET if bound else None,
        actor=request.user,
        initial={"date": timezone.localdate()},
    )
    rows = DisciplineRows(
        request.GET if bound else None,
        prefix="disc",
        form_kwargs={"form_choices": form.form_choices},
    )
    simulation = None
    if bound and form.is_valid() and rows.is_valid():
        simulation = _run(request, form, rows)
    return _render_simulator(request, form, rows, simulation)


def _run(
    request: HttpRequest, form: SimulatorForm, rows: forms.BaseFormSet
) -> selectors.Simulation | None:
    data = form.cleaned_data
    disciplines: list[tuple[str, date]] = [
        (r.cleaned_data["form"], r.cleaned_data["date"])
        for r in rows.forms
        if r.has_changed() and r.cleaned_data.get("form")
    ]
    grades = {name[len("grade_") :]: data[name] for name in form.grade_fields} or None
    try:
        return selectors.simulate(
            request.user,
            pack_code=data["pack"] or None,
            on=data["date"],
            subject_kind=data["subject_kind"],
            score=data["score"],
            tasks_total=data["tasks_total"],
            tasks_on_time=data["tasks_on_time"],
            tasks_above_requirement=data["tasks_above_requirement"] or 0,
            tasks_late=data["tasks_late"] or 0,
            disciplines=disciplines,
            degradation_concluded=data["degradation_concluded"],
            professional_level=data["professional_level"] or None,
            collective_level=data["collective_level"] or None,
            grades=grades,
        )
    except (selectors.SimulationError, SubjectInputError) as exc:
        _place_error(form, rows, exc.field, exc.message)
        return None


def _render_simulator(
    request: HttpRequest,
    form: SimulatorForm,
    rows: forms.BaseFormSet,
    simulation: selectors.Simulation | None,
) -> HttpResponse:
    result = simulation.result if simulation else None
    return render(
        request,
        "evaluations/packs/simulator.html",
        {
            "form": form,
            "rows": rows,
            "simulation": simulation,
            "result": result,
            "reasons": result.reasons if result else (),
            "level_name": simulation.pack.level_name(result.level) if simulation and result else "",
            **_chrome(),
        },
    )


urlpatterns: list[URLPattern] = [
    path("goi-quy-tac/", pack_list, name="packs"),
    path("goi-quy-tac/<int:pk>/", pack_detail, name="pack_detail"),
    path("goi-quy-tac/<int:pk>/sao-chep/", pack_clone, name="pack_clone"),
    path("goi-quy-tac/<int:pk>/sua-tham-so/", pack_edit, name="pack_edit"),
    path("mo-phong/", simulator, name="simulator"),
]
