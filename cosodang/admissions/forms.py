"""Forms of the admission pages (dates dd/mm/yyyy); the services do the rule checks."""

from __future__ import annotations

from typing import Any

from django import forms

from cosodang.members.choices import Sex
from cosodang.members.models import Member
from cosodang.members.rules import MemberStatus
from cosodang.orgs.forms import date_field
from cosodang.orgs.models import PartyOrg

from . import rules
from .documents import GENERATED_CODES
from .models import FORM_CHOICES, INTRODUCER_CHOICES


def _official_members(org: PartyOrg) -> Any:
    return Member.objects.filter(
        org=org, status__in=[MemberStatus.OFFICIAL, MemberStatus.EXEMPTED]
    ).order_by("sort_key", "id")


class CandidateForm(forms.Form):
    """Add or edit a candidate of the pool."""

    org = forms.ModelChoiceField(label="Chi bộ", queryset=PartyOrg.objects.none())
    full_name = forms.CharField(label="Họ và tên", max_length=120)
    sex = forms.ChoiceField(label="Giới tính", choices=Sex.choices)
    birth_date = date_field("Ngày sinh")
    ethnicity = forms.CharField(label="Dân tộc", max_length=40, initial="Kinh")
    religion = forms.CharField(label="Tôn giáo", max_length=40, initial="Không")
    general_education = forms.CharField(
        label="Giáo dục phổ thông", max_length=10, initial="12/12", help_text="Ví dụ 12/12, 9/12"
    )
    education_exception = forms.CharField(
        label="Ngoại lệ về trình độ học vấn (căn cứ)", max_length=255, required=False
    )
    age_exception = forms.CharField(
        label="Quyết định cho xét kết nạp trên 60 tuổi", max_length=255, required=False
    )
    work_unit = forms.CharField(label="Đơn vị công tác, học tập", max_length=255, required=False)
    residence = forms.CharField(label="Nơi cư trú", max_length=255, required=False)
    married = forms.BooleanField(label="Đã kết hôn", required=False)
    adult_children = forms.BooleanField(label="Có con đã thành niên", required=False)
    in_pool_since = date_field("Vào nguồn phát triển đảng từ ngày")
    follower = forms.ModelChoiceField(
        label="Đảng viên theo dõi, giúp đỡ", queryset=Member.objects.none(), required=False
    )
    note = forms.CharField(
        label="Ghi chú", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, orgs: Any, org: PartyOrg | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        if org is not None:
            self.fields["follower"].queryset = _official_members(org)  # type: ignore[attr-defined]
        else:
            del self.fields["follower"]

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "org"}


class OpenCaseForm(forms.Form):
    opened_on = date_field("Ngày lập hồ sơ")


class DossierForm(forms.Form):
    cert_number = forms.CharField(
        label="Số giấy chứng nhận (CN-NTVĐ)", max_length=60, required=False
    )
    cert_issuer = forms.CharField(label="Nơi cấp", max_length=255, required=False)
    cert_date = date_field("Ngày cấp", required=False)
    verified_relatives = forms.MultipleChoiceField(
        label="Thẩm tra lý lịch đã bao gồm",
        choices=[(r.value, rules.RELATIVE_LABELS[r]) for r in rules.Relative],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class IntroducerForm(forms.Form):
    kind = forms.ChoiceField(label="Người giới thiệu là", choices=INTRODUCER_CHOICES)
    member = forms.ModelChoiceField(
        label="Đảng viên", queryset=Member.objects.none(), required=False
    )
    org_name = forms.CharField(label="Tên Ban Chấp hành (đoàn thể)", max_length=255, required=False)
    months_together = forms.IntegerField(label="Số tháng cùng công tác", min_value=0, initial=12)
    replacement = forms.BooleanField(label="Người giới thiệu thay thế", required=False)
    letter_date = date_field("Ngày giới thiệu (3-KNĐ)")

    def __init__(self, *args: Any, org: PartyOrg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = _official_members(org)  # type: ignore[attr-defined]


class DocumentForm(forms.Form):
    code = forms.ChoiceField(label="Văn bản", choices=FORM_CHOICES)
    doc_date = date_field("Ngày văn bản")
    upload = forms.FileField(label="Tệp (PDF, Word, ảnh; tối đa 10 MB)")
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)


class GenerateForm(forms.Form):
    code = forms.ChoiceField(
        label="Mẫu",
        choices=[(c, f"{c}: {rules.FORMS[c].title}") for c in GENERATED_CODES],
    )
    doc_date = date_field("Ngày văn bản")


class DateForm(forms.Form):
    on = date_field("Ngày")


class CellVoteForm(forms.Form):
    meeting_date = date_field("Ngày chi bộ họp")
    proposal = forms.ChoiceField(
        label="Đề nghị",
        choices=[
            (p.value, rules.PROPOSAL_LABELS[p])
            for p in (rules.Proposal.RECOGNISE, rules.Proposal.REMOVE)
        ],
        required=False,
    )
    votes_for = forms.IntegerField(label="Tán thành", min_value=0)
    against = forms.IntegerField(label="Không tán thành", min_value=0, initial=0)
    abstain = forms.IntegerField(label="Không biểu quyết", min_value=0, initial=0)
    resolution_number = forms.CharField(label="Số nghị quyết", max_length=60, required=False)


class CommitteeVoteForm(forms.Form):
    meeting_date = date_field("Ngày đảng ủy họp")
    eligible = forms.IntegerField(
        label="Số cấp ủy viên (chỉ ghi khi sổ đảng viên chưa có cấp ủy)",
        min_value=1,
        max_value=1000,
        required=False,
        help_text="Số cấp ủy viên được đếm từ sổ đảng viên (chức vụ cấp ủy còn hiệu lực vào ngày "
        "họp); số nhập tay chỉ dùng khi sổ chưa có cấp ủy và được đánh dấu trên diễn biến.",
    )
    votes_for = forms.IntegerField(label="Tán thành", min_value=0)
    against = forms.IntegerField(label="Không tán thành", min_value=0, initial=0)
    abstain = forms.IntegerField(label="Không biểu quyết", min_value=0, initial=0)
    resolution_number = forms.CharField(label="Số nghị quyết", max_length=60, required=False)


class ExtendForm(forms.Form):
    """A deadline extension (admission or recognition decision): days within the pack's cap."""

    days = forms.IntegerField(label="Gia hạn (ngày làm việc)", min_value=1, max_value=90)
    reason = forms.CharField(label="Lý do", max_length=500)


class DecisionForm(forms.Form):
    decision_date = date_field("Ngày ký quyết định kết nạp")
    decision_number = forms.CharField(label="Số quyết định", max_length=60)
    received_date = date_field("Ngày chi bộ nhận quyết định")


class CeremonyForm(forms.Form):
    ceremony_date = date_field("Ngày lễ kết nạp")
    late_approval = forms.CharField(
        label="Văn bản đồng ý của cấp ủy cấp trên (nếu quá 30 ngày làm việc)",
        max_length=255,
        required=False,
    )


class HelperForm(forms.Form):
    helper = forms.ModelChoiceField(
        label="Đảng viên chính thức giúp đỡ", queryset=Member.objects.none()
    )

    def __init__(self, *args: Any, org: PartyOrg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["helper"].queryset = _official_members(org)  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    day = date_field("Ngày")
    text = forms.CharField(
        label="Nhận xét", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class DecisionDateForm(forms.Form):
    decision_date = date_field("Ngày quyết định")


class ReasonForm(forms.Form):
    on = date_field("Ngày")
    reason = forms.CharField(label="Lý do", max_length=1000)


class WorkdaysForm(forms.Form):
    start = date_field("Từ ngày")
    days = forms.IntegerField(label="Số ngày làm việc", min_value=0, max_value=2000)
