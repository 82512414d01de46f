"""Forms for creating and changing organisations (dates are dd/mm/yyyy)."""

from django import forms

from .models import ORG_TYPE_CHOICES

DATE_WIDGET = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"})


def date_field(label: str, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DATE_WIDGET,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Ngày không hợp lệ (dd/mm/yyyy)."},
    )


class OrgCreateForm(forms.Form):
    """Create a sub-organisation."""

    code = forms.CharField(label="Mã tổ chức", max_length=32)
    name = forms.CharField(label="Tên tổ chức", max_length=255)
    org_type = forms.ChoiceField(label="Loại tổ chức", choices=ORG_TYPE_CHOICES)
    effective_from = date_field("Ngày thành lập")
    decision_ref = forms.CharField(label="Số quyết định thành lập", max_length=100, required=False)
    approval_ref = forms.CharField(
        label="Văn bản đồng ý của cấp trên (nếu là ngoại lệ cơ cấu)", max_length=255, required=False
    )


class OrgRenameForm(forms.Form):
    """Rename an organisation from a date."""

    name = forms.CharField(label="Tên mới", max_length=255)
    effective = date_field("Ngày hiệu lực")
    decision_ref = forms.CharField(label="Số quyết định", max_length=100, required=False)


class OrgTargetForm(forms.Form):
    """Pick another organisation by its code (move under it, or merge into it)."""

    target_code = forms.CharField(label="Mã tổ chức", max_length=32)
    effective = date_field("Ngày hiệu lực")
    decision_ref = forms.CharField(label="Số quyết định", max_length=100, required=False)


class OrgDissolveForm(forms.Form):
    """Dissolve an organisation from a date."""

    effective = date_field("Ngày giải thể")
    decision_ref = forms.CharField(label="Số quyết định", max_length=100, required=False)
    confirm = forms.BooleanField(label="Tôi xác nhận giải thể tổ chức này", required=True)
