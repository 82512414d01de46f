"""Forms for member profiles and their history rows (dates dd/mm/yyyy)."""

from __future__ import annotations

from typing import Any

from django import forms

from cosodang.orgs.forms import DATE_WIDGET, date_field
from cosodang.orgs.models import PartyOrg

from .choices import GapReason
from .models import DISCIPLINE_CHOICES, POST_CHOICES, Member
from .services import EDITABLE_FIELDS, MEMBER_ORG_TYPES

DATE_FIELDS = (
    "birth_date",
    "card_issue_date",
    "first_decision_date",
    "decision_date",
    "ceremony_date",
    "official_date",
    "status_date",
)

FIELDSETS = [
    (
        "Thông tin cá nhân",
        [
            "full_name",
            "other_name",
            "sex",
            "birth_date",
            "ethnicity",
            "religion",
            "national_id",
            "old_national_id",
            "phone",
            "email",
        ],
    ),
    (
        "Nơi sinh, quê quán, thường trú (mô hình 2 cấp)",
        [
            "birth_place_country",
            "birth_place_province",
            "birth_place_detail",
            "hometown_province",
            "hometown_commune",
            "residence_province",
            "residence_commune",
            "residence_detail",
        ],
    ),
    (
        "Thông tin Đảng",
        [
            "org",
            "card_number",
            "card_issue_place",
            "card_issue_date",
            "old_card_number",
            "decision_date",
            "first_decision_date",
            "ceremony_date",
            "official_date",
            "admitted_under_current_rules",
            "status",
            "status_date",
        ],
    ),
    (
        "Công tác, trình độ",
        ["rank", "police_position", "work_unit", "general_education", "education", "theory_level"],
    ),
]


class MemberForm(forms.ModelForm):
    """Create or edit a member; the cell list is limited to the user's scope."""

    class Meta:
        model = Member
        fields = ["org", *EDITABLE_FIELDS]
        widgets = dict.fromkeys(DATE_FIELDS, DATE_WIDGET)

    def __init__(self, *args: Any, orgs: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in DATE_FIELDS:
            field = self.fields[name]
            assert isinstance(field, forms.DateField)
            field.input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
            field.error_messages["invalid"] = "Ngày không hợp lệ (dd/mm/yyyy)."
        org_field = self.fields["org"]
        assert isinstance(org_field, forms.ModelChoiceField)
        base = orgs if orgs is not None else PartyOrg.objects.none()
        org_field.queryset = base.filter(org_type__in=[t.value for t in MEMBER_ORG_TYPES])
        org_field.label = "Chi bộ đang sinh hoạt"
        self.fields["national_id"].help_text = "12 chữ số"
        self.fields["card_number"].help_text = "12 chữ số (theo HD 38-HD/BTCTW)"

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in FIELDSETS]

    def _post_clean(self) -> None:
        # The service validates (one code path for pages and API); skip the model's checks here.
        pass

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k in EDITABLE_FIELDS}


class PositionForm(forms.Form):
    """Add a post to a member's history."""

    kind = forms.ChoiceField(
        label="Loại", choices=[("party", "Chức vụ Đảng"), ("police", "Chức vụ chính quyền/công an")]
    )
    party_post = forms.ChoiceField(
        label="Chức vụ Đảng", choices=[("", "—"), *POST_CHOICES], required=False
    )
    title = forms.CharField(
        label="Chức danh (nếu không phải chức vụ Đảng)", max_length=120, required=False
    )
    start = date_field("Từ ngày")
    end = date_field("Đến ngày", required=False)


class RewardForm(forms.Form):
    """Add a reward to a member's history."""

    date = date_field("Ngày")
    title = forms.CharField(label="Hình thức khen thưởng", max_length=255)
    decision_ref = forms.CharField(label="Số quyết định", max_length=100, required=False)
    issuer = forms.CharField(label="Cấp khen", max_length=255, required=False)


class DisciplineForm(forms.Form):
    """Add a discipline to a member's history."""

    date = date_field("Ngày")
    form = forms.ChoiceField(label="Hình thức", choices=DISCIPLINE_CHOICES)
    reason = forms.CharField(label="Lý do", max_length=500, required=False)
    decision_ref = forms.CharField(label="Số quyết định", max_length=100, required=False)
    issuer = forms.CharField(label="Cấp quyết định", max_length=255, required=False)


class GapForm(forms.Form):
    """Add a period not counted in Party age."""

    start = date_field("Từ ngày")
    end = date_field("Đến ngày", required=False)
    reason = forms.ChoiceField(label="Lý do", choices=GapReason.choices)
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)


HISTORY_FORMS: dict[str, type[forms.Form]] = {
    "position": PositionForm,
    "reward": RewardForm,
    "discipline": DisciplineForm,
    "gap": GapForm,
}
