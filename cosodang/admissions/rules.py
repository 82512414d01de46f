"""The admission rules (rules.md §3 and §5.4) as pure tables and functions.

The case is a state machine written as a table, `TRANSITIONS[(state, action)] -> state`. Each
refusal is a `Refusal` carrying a Vietnamese message and the rule's source, so the user sees
which regulation blocks them. Numbers that change with regulations (deadlines, thresholds,
validity) come from the rule pack in force (`packs.pack_for(day)`), never from literals here.

Pure module: no ORM, no request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from cosodang.core.vn import add_months, format_date, full_months_between
from cosodang.core.workdays import DEFAULT, Calendar, add_workdays

from .packs import RulePack

# Sources named in refusals (rules.md §3, §5.4).
SRC_AGE = "Quy định 24-QĐ/TW, mục 1.1"
SRC_EDUCATION = "Quy định 24-QĐ/TW, mục 1.2"
SRC_CERTIFICATE = "Hướng dẫn 12-HD/BTCTW (2022), Phần I; thời hạn 5 năm theo hướng dẫn 2007/2017"
SRC_INTRODUCER = "Điều lệ Đảng, Điều 4; Quy định 24-QĐ/TW, mục 3.2.1–3.2.2"
SRC_DOSSIER = "Hướng dẫn 12-HD/BTCTW (2022), Phần I (hồ sơ xét kết nạp)"
SRC_VERIFICATION = "Hướng dẫn 01-HD/TW (2021), mục 3.4 (thẩm tra lý lịch)"
SRC_STALENESS = "Hướng dẫn 01-HD/TW (2021) (quá 12 tháng phải làm lại)"
SRC_CELL_VOTE = "Điều lệ Đảng, Điều 4; Quy định 24-QĐ/TW, mục 4.2.3"
SRC_COMMITTEE_VOTE = "Quy định 24-QĐ/TW, mục 4.2.3"
SRC_DECISION = "Quy định 24-QĐ/TW, mục 4.3.1"
SRC_CEREMONY = "Quy định 24-QĐ/TW, mục 4.1"
SRC_PROBATION = "Điều lệ Đảng, Điều 5 khoản 1"
SRC_RECOGNITION = "Điều lệ Đảng, Điều 5 khoản 2; Quy định 24-QĐ/TW, mục 4.2"
SRC_ESCALATION = "Quy định 24-QĐ/TW, mục 4.2 (biểu quyết 3 lần không đủ 2/3)"
SRC_REMOVAL = "Quy định 24-QĐ/TW, mục 4.2 và mục 8.1 (xóa tên đảng viên dự bị)"
SRC_STATE = "Trình tự kết nạp, Hướng dẫn 12-HD/BTCTW (2022), Phần I"


@dataclass(frozen=True)
class Refusal:
    """Why a step is refused: a Vietnamese message, the rule's source, the field concerned."""

    message: str
    source: str
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.message} ({self.source})"


# --------------------------------------------------------------------------------------------
# The state machine
# --------------------------------------------------------------------------------------------


class State(StrEnum):
    """Where an admission case stands."""

    DOSSIER = "dossier"
    CELL_REVIEW = "cell_review"
    BRANCH_APPRAISAL = "branch_appraisal"
    COMMITTEE_REVIEW = "committee_review"
    AWAITING_DECISION = "awaiting_decision"
    AWAITING_CEREMONY = "awaiting_ceremony"
    PROBATION = "probation"
    RECOGNITION_COMMITTEE = "recognition_committee"
    AWAITING_RECOGNITION = "awaiting_recognition"
    REMOVAL_PROPOSED = "removal_proposed"
    ESCALATED = "escalated"
    OFFICIAL = "official"
    REMOVED = "removed"
    STOPPED = "stopped"


STATE_LABELS: dict[State, str] = {
    State.DOSSIER: "Lập hồ sơ",
    State.CELL_REVIEW: "Chờ chi bộ xét kết nạp",
    State.BRANCH_APPRAISAL: "Chờ đảng ủy bộ phận thẩm định",
    State.COMMITTEE_REVIEW: "Chờ đảng ủy cơ sở xét",
    State.AWAITING_DECISION: "Chờ quyết định kết nạp",
    State.AWAITING_CEREMONY: "Chờ lễ kết nạp",
    State.PROBATION: "Đảng viên dự bị",
    State.RECOGNITION_COMMITTEE: "Chờ đảng ủy xét công nhận chính thức",
    State.AWAITING_RECOGNITION: "Chờ quyết định công nhận chính thức",
    State.REMOVAL_PROPOSED: "Chi bộ đề nghị xóa tên",
    State.ESCALATED: "Báo cáo cấp ủy cấp trên quyết định",
    State.OFFICIAL: "Đã công nhận chính thức",
    State.REMOVED: "Đã xóa tên",
    State.STOPPED: "Dừng xét",
}
TERMINAL = frozenset({State.OFFICIAL, State.REMOVED, State.STOPPED})
# Stages of the board, in order (stopped/official/removed are shown apart).
BOARD_STATES = [s for s in State if s not in TERMINAL]


class Step(StrEnum):
    """What a user does to move a case."""

    SUBMIT_DOSSIER = "submit_dossier"
    CELL_VOTE_PASSED = "cell_vote_passed"
    CELL_VOTE_PASSED_TO_BRANCH = "cell_vote_passed_to_branch"
    CELL_VOTE_FAILED = "cell_vote_failed"
    BRANCH_APPRAISED = "branch_appraised"
    COMMITTEE_VOTE_PASSED = "committee_vote_passed"
    COMMITTEE_VOTE_FAILED = "committee_vote_failed"
    EXTEND_DECISION = "extend_decision"
    DECIDE_ADMISSION = "decide_admission"
    HOLD_CEREMONY = "hold_ceremony"
    RECOGNITION_VOTE_PASSED = "recognition_vote_passed"
    REMOVAL_VOTE_PASSED = "removal_vote_passed"
    PROBATION_VOTE_FAILED = "probation_vote_failed"
    RECOGNITION_COMMITTEE_PASSED = "recognition_committee_passed"
    RECOGNITION_COMMITTEE_FAILED = "recognition_committee_failed"
    EXTEND_RECOGNITION = "extend_recognition"
    ESCALATE = "escalate"
    RECOGNISE = "recognise"
    REMOVE = "remove"
    STOP = "stop"


STEP_LABELS: dict[Step, str] = {
    Step.SUBMIT_DOSSIER: "Trình hồ sơ ra chi bộ",
    Step.CELL_VOTE_PASSED: "Chi bộ biểu quyết đề nghị kết nạp (đạt)",
    Step.CELL_VOTE_PASSED_TO_BRANCH: "Chi bộ biểu quyết đạt, chuyển đảng ủy bộ phận thẩm định",
    Step.CELL_VOTE_FAILED: "Chi bộ biểu quyết không đủ 2/3: dừng xét",
    Step.BRANCH_APPRAISED: "Đảng ủy bộ phận thẩm định (7-KNĐ)",
    Step.COMMITTEE_VOTE_PASSED: "Đảng ủy cơ sở biểu quyết đề nghị kết nạp (đạt)",
    Step.COMMITTEE_VOTE_FAILED: "Đảng ủy cơ sở biểu quyết không đủ 2/3: dừng xét",
    Step.EXTEND_DECISION: "Gia hạn thời hạn ra quyết định kết nạp",
    Step.DECIDE_ADMISSION: "Quyết định kết nạp (9-KNĐ)",
    Step.HOLD_CEREMONY: "Tổ chức lễ kết nạp",
    Step.RECOGNITION_VOTE_PASSED: "Chi bộ biểu quyết đề nghị công nhận chính thức (đạt)",
    Step.REMOVAL_VOTE_PASSED: "Chi bộ biểu quyết đề nghị xóa tên (đạt)",
    Step.PROBATION_VOTE_FAILED: "Chi bộ biểu quyết không đủ 2/3 (công nhận hay xóa tên)",
    Step.RECOGNITION_COMMITTEE_PASSED: "Đảng ủy biểu quyết đề nghị công nhận chính thức (đạt)",
    Step.RECOGNITION_COMMITTEE_FAILED: "Đảng ủy biểu quyết công nhận không đủ 2/3",
    Step.EXTEND_RECOGNITION: "Gia hạn thời hạn quyết định công nhận chính thức",
    Step.ESCALATE: "Biểu quyết lần thứ ba không đủ 2/3: báo cáo cấp trên",
    Step.RECOGNISE: "Quyết định công nhận đảng viên chính thức",
    Step.REMOVE: "Quyết định xóa tên khỏi danh sách đảng viên",
    Step.STOP: "Dừng xét (có lý do)",
}

_PRE_DECISION = (
    State.DOSSIER,
    State.CELL_REVIEW,
    State.BRANCH_APPRAISAL,
    State.COMMITTEE_REVIEW,
    State.AWAITING_DECISION,
)

TRANSITIONS: dict[tuple[State, Step], State] = {
    (State.DOSSIER, Step.SUBMIT_DOSSIER): State.CELL_REVIEW,
    (State.CELL_REVIEW, Step.CELL_VOTE_PASSED): State.COMMITTEE_REVIEW,
    (State.CELL_REVIEW, Step.CELL_VOTE_PASSED_TO_BRANCH): State.BRANCH_APPRAISAL,
    (State.CELL_REVIEW, Step.CELL_VOTE_FAILED): State.STOPPED,
    (State.BRANCH_APPRAISAL, Step.BRANCH_APPRAISED): State.COMMITTEE_REVIEW,
    (State.COMMITTEE_REVIEW, Step.COMMITTEE_VOTE_PASSED): State.AWAITING_DECISION,
    (State.COMMITTEE_REVIEW, Step.COMMITTEE_VOTE_FAILED): State.STOPPED,
    (State.BRANCH_APPRAISAL, Step.EXTEND_DECISION): State.BRANCH_APPRAISAL,
    (State.COMMITTEE_REVIEW, Step.EXTEND_DECISION): State.COMMITTEE_REVIEW,
    (State.AWAITING_DECISION, Step.EXTEND_DECISION): State.AWAITING_DECISION,
    (State.AWAITING_DECISION, Step.DECIDE_ADMISSION): State.AWAITING_CEREMONY,
    (State.AWAITING_CEREMONY, Step.HOLD_CEREMONY): State.PROBATION,
    (State.PROBATION, Step.RECOGNITION_VOTE_PASSED): State.RECOGNITION_COMMITTEE,
    (State.PROBATION, Step.REMOVAL_VOTE_PASSED): State.REMOVAL_PROPOSED,
    (State.PROBATION, Step.PROBATION_VOTE_FAILED): State.PROBATION,
    (State.PROBATION, Step.ESCALATE): State.ESCALATED,
    (State.RECOGNITION_COMMITTEE, Step.RECOGNITION_COMMITTEE_PASSED): State.AWAITING_RECOGNITION,
    (State.RECOGNITION_COMMITTEE, Step.RECOGNITION_COMMITTEE_FAILED): State.PROBATION,
    (State.RECOGNITION_COMMITTEE, Step.ESCALATE): State.ESCALATED,
    (State.RECOGNITION_COMMITTEE, Step.EXTEND_RECOGNITION): State.RECOGNITION_COMMITTEE,
    (State.AWAITING_RECOGNITION, Step.EXTEND_RECOGNITION): State.AWAITING_RECOGNITION,
    (State.AWAITING_RECOGNITION, Step.RECOGNISE): State.OFFICIAL,
    (State.ESCALATED, Step.RECOGNISE): State.OFFICIAL,
    (State.REMOVAL_PROPOSED, Step.REMOVE): State.REMOVED,
    (State.ESCALATED, Step.REMOVE): State.REMOVED,
    **{(s, Step.STOP): State.STOPPED for s in _PRE_DECISION},
}

# Steps the grassroots (or superior) committee takes; the cell takes the others.
COMMITTEE_STEPS = frozenset(
    {
        Step.BRANCH_APPRAISED,
        Step.COMMITTEE_VOTE_PASSED,
        Step.COMMITTEE_VOTE_FAILED,
        Step.EXTEND_DECISION,
        Step.DECIDE_ADMISSION,
        Step.RECOGNITION_COMMITTEE_PASSED,
        Step.RECOGNITION_COMMITTEE_FAILED,
        Step.EXTEND_RECOGNITION,
        Step.RECOGNISE,
        Step.REMOVE,
    }
)


def next_state(state: State | str, step: Step | str) -> State:
    """Return the state `step` leads to from `state`, or raise IllegalStep."""
    key = (State(state), Step(step))
    if key not in TRANSITIONS:
        raise IllegalStep(
            Refusal(
                f"Không thể «{STEP_LABELS[Step(step)]}» khi hồ sơ đang ở bước "
                f"«{STATE_LABELS[State(state)]}».",
                SRC_STATE,
            )
        )
    return TRANSITIONS[key]


def allowed_steps(state: State | str) -> list[Step]:
    """Return the steps that may be taken from `state`, in table order."""
    return [step for (s, step) in TRANSITIONS if s == State(state)]


class IllegalStep(Exception):
    """A step the state machine does not allow from the current state."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


# --------------------------------------------------------------------------------------------
# The dossier checklist (rules.md §3.2 – §3.4)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """A document of the dossier: its code, title and whether rules.md confirms the code."""

    code: str
    title: str
    confirmed: bool = True


FORMS: dict[str, Form] = {
    f.code: f
    for f in [
        Form("CN-NTVĐ", "Giấy chứng nhận học lớp bồi dưỡng nhận thức về Đảng"),
        Form("1-KNĐ", "Đơn xin vào Đảng"),
        Form("2-KNĐ", "Lý lịch của người xin vào Đảng"),
        Form("TTLL", "Kết quả thẩm tra lý lịch người xin vào Đảng"),
        Form("3-KNĐ", "Giấy giới thiệu người vào Đảng"),
        Form("4-KNĐ", "Nghị quyết giới thiệu đoàn viên (công đoàn viên) ưu tú vào Đảng"),
        Form("5-KNĐ", "Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú"),
        Form("6-KNĐ", "Nghị quyết của chi bộ đề nghị kết nạp đảng viên"),
        Form("7-KNĐ", "Báo cáo thẩm định của đảng ủy bộ phận"),
        Form("8-KNĐ", "Nghị quyết của đảng ủy cơ sở đề nghị kết nạp đảng viên"),
        Form("9-KNĐ", "Quyết định kết nạp đảng viên"),
        Form("CN-ĐVM", "Giấy chứng nhận bồi dưỡng lý luận chính trị cho đảng viên mới"),
        Form("10-KNĐ", "Bản tự kiểm điểm của đảng viên dự bị"),
        Form("11-KNĐ", "Bản nhận xét đảng viên dự bị của đảng viên chính thức giúp đỡ"),
        Form("12-KNĐ", "Tổng hợp ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú (dự bị)"),
        Form("13-KNĐ", "Nghị quyết của chi bộ đề nghị công nhận đảng viên chính thức"),
        Form("14-KNĐ", "Báo cáo thẩm định của đảng ủy bộ phận (công nhận)", confirmed=False),
        Form("15-KNĐ", "Nghị quyết của đảng ủy cơ sở đề nghị công nhận đảng viên chính thức"),
        Form("16-KNĐ", "Quyết định công nhận đảng viên chính thức", confirmed=False),
        Form("XT-DB", "Quyết định xóa tên đảng viên dự bị", confirmed=False),
    ]
}
DOSSIER_CODES = ("CN-NTVĐ", "1-KNĐ", "2-KNĐ", "TTLL", "3-KNĐ", "5-KNĐ")
# Documents made again when the dossier goes stale (rules.md §3.2 step 5a).
STALE_CODES = ("3-KNĐ", "4-KNĐ", "5-KNĐ")


def required_documents(step: Step, *, has_branch: bool, union_introducer: bool) -> list[str]:
    """Return the form codes that must be on file before `step`."""
    dossier = list(DOSSIER_CODES) + (["4-KNĐ"] if union_introducer else [])
    table: dict[Step, list[str]] = {
        Step.SUBMIT_DOSSIER: dossier,
        Step.CELL_VOTE_PASSED: dossier,
        Step.CELL_VOTE_PASSED_TO_BRANCH: dossier,
        Step.BRANCH_APPRAISED: ["6-KNĐ"],
        Step.COMMITTEE_VOTE_PASSED: ["6-KNĐ"] + (["7-KNĐ"] if has_branch else []),
        Step.DECIDE_ADMISSION: ["8-KNĐ"],
        Step.HOLD_CEREMONY: ["9-KNĐ"],
        Step.RECOGNITION_VOTE_PASSED: ["CN-ĐVM", "10-KNĐ", "11-KNĐ", "12-KNĐ"],
        Step.RECOGNITION_COMMITTEE_PASSED: ["13-KNĐ"],
        Step.RECOGNISE: ["15-KNĐ"],
    }
    return table.get(step, [])


def missing_documents(
    step: Step, present: Iterable[str], *, has_branch: bool, union_introducer: bool
) -> list[str]:
    """Return the required codes for `step` not among `present`."""
    have = set(present)
    return [
        c
        for c in required_documents(step, has_branch=has_branch, union_introducer=union_introducer)
        if c not in have
    ]


def missing_refusal(missing: Sequence[str]) -> Refusal:
    names = "; ".join(f"{c} ({FORMS[c].title})" for c in missing)
    return Refusal(f"Hồ sơ còn thiếu: {names}.", SRC_DOSSIER, "documents")


class Relative(StrEnum):
    """Whose background the verification must cover (HD 01-HD/TW 2021 mục 3.4)."""

    SELF = "self"
    PARENTS = "parents"
    PARENTS_IN_LAW = "parents_in_law"
    SPOUSE = "spouse"
    CHILDREN = "children"


RELATIVE_LABELS: dict[Relative, str] = {
    Relative.SELF: "bản thân người xin vào Đảng",
    Relative.PARENTS: "cha, mẹ đẻ (hoặc người nuôi dưỡng)",
    Relative.PARENTS_IN_LAW: "cha, mẹ vợ (chồng)",
    Relative.SPOUSE: "vợ (chồng)",
    Relative.CHILDREN: "con đẻ có năng lực hành vi dân sự đầy đủ",
}


def required_relatives(*, married: bool, adult_children: bool) -> list[Relative]:
    """Return whom the background verification must cover."""
    out = [Relative.SELF, Relative.PARENTS]
    if married:
        out += [Relative.PARENTS_IN_LAW, Relative.SPOUSE]
    if adult_children:
        out.append(Relative.CHILDREN)
    return out


def check_verification(
    covered: Iterable[str], *, married: bool, adult_children: bool
) -> list[Refusal]:
    """Refuse a verification that leaves out a relative it must cover."""
    have = set(covered)
    missing = [
        RELATIVE_LABELS[r]
        for r in required_relatives(married=married, adult_children=adult_children)
        if r.value not in have
    ]
    if not missing:
        return []
    return [
        Refusal(
            f"Thẩm tra lý lịch chưa bao gồm: {', '.join(missing)}.",
            SRC_VERIFICATION,
            "verified_relatives",
        )
    ]


# --------------------------------------------------------------------------------------------
# Conditions of the applicant
# --------------------------------------------------------------------------------------------


def check_age(
    birth: date, on: date, pack: RulePack, *, over_age_exception: str = ""
) -> list[Refusal]:
    """Refuse an applicant under 18 or over 60 in full months on the day the cell considers."""
    months = full_months_between(birth, on)
    if months < pack.min_age_months:
        return [
            Refusal(
                f"Người xin vào Đảng chưa đủ {pack.min_age_months // 12} tuổi (tính theo tháng) "
                f"vào ngày chi bộ xét {format_date(on)}: mới {months // 12} tuổi "
                f"{months % 12} tháng.",
                SRC_AGE,
                "meeting_date",
            )
        ]
    if months > pack.max_age_months and not over_age_exception.strip():
        return [
            Refusal(
                f"Người xin vào Đảng đã quá {pack.max_age_months // 12} tuổi (tính theo tháng) vào "
                f"ngày chi bộ xét {format_date(on)}; chỉ được xét khi có quyết định của cấp ủy "
                "trực thuộc Trung ương (ghi số quyết định ở mục ngoại lệ tuổi).",
                SRC_AGE,
                "meeting_date",
            )
        ]
    return []


def exceptions_relied_on(
    birth: date,
    general_education: str,
    age_exception: str,
    education_exception: str,
    considered_on: date,
    pack: RulePack,
) -> list[str]:
    """Return the exceptions the cell's consideration relied on, for an auditor to check.

    An exception counts once the cell has considered the applicant (`considered_on`, the
    resolution's date) and only where the rule would otherwise have refused: over the maximum
    age in full months, or below the minimum education. The text is what was recorded (the
    decision's number, date and committee); the auditor compares it with the decision itself.
    """
    out = []
    if age_exception.strip() and full_months_between(birth, considered_on) > pack.max_age_months:
        out.append(
            f"Xét kết nạp khi đã quá {pack.max_age_months // 12} tuổi theo "
            f"«{age_exception.strip()}»: đối chiếu quyết định của cấp ủy trực thuộc Trung ương "
            f"({SRC_AGE})"
        )
    grade = education_grade(general_education)
    if education_exception.strip() and (grade is None or grade < pack.min_general_education):
        out.append(
            f"Trình độ «{general_education or 'trống'}» dưới mức tối thiểu, xét theo ngoại lệ "
            f"«{education_exception.strip()}»: đối chiếu căn cứ ({SRC_EDUCATION})"
        )
    return out


def education_grade(general_education: str) -> int | None:
    """Return the completed grade of "9/12", "12/12", "10/10" (None when unreadable)."""
    head = general_education.strip().split("/")[0].strip()
    return int(head) if head.isdigit() else None


def check_education(
    general_education: str, pack: RulePack, *, exception: str = ""
) -> list[Refusal]:
    """Refuse an applicant below lower-secondary education unless an exception is recorded."""
    grade = education_grade(general_education)
    if exception.strip():
        return []
    if grade is None or grade < pack.min_general_education:
        return [
            Refusal(
                "Người xin vào Đảng phải có bằng tốt nghiệp trung học cơ sở trở lên "
                f"(đang ghi «{general_education or 'trống'}»); trường hợp đặc biệt phải ghi ngoại "
                "lệ theo hướng dẫn của Ban Bí thư.",
                SRC_EDUCATION,
                "general_education",
            )
        ]
    return []


def certificate_expiry(issued: date, pack: RulePack) -> date:
    """Return the last day the awareness-course certificate is valid."""
    return add_months(issued, 12 * pack.certificate_validity_years)


def check_certificate(
    number: str, issuer: str, issued: date | None, on: date, pack: RulePack
) -> list[Refusal]:
    """Refuse a missing certificate, or one no longer valid on `on`."""
    if not number.strip() or not issuer.strip() or issued is None:
        return [
            Refusal(
                "Chưa có giấy chứng nhận học lớp bồi dưỡng nhận thức về Đảng (số, nơi cấp, ngày "
                "cấp).",
                SRC_CERTIFICATE,
                "cert_number",
            )
        ]
    if issued > on:
        return [Refusal("Ngày cấp giấy chứng nhận sau ngày xét.", SRC_CERTIFICATE, "cert_date")]
    if on > certificate_expiry(issued, pack):
        return [
            Refusal(
                f"Giấy chứng nhận cấp ngày {format_date(issued)} đã quá "
                f"{pack.certificate_validity_years} năm vào ngày {format_date(on)} "
                "(thời hạn này chưa được xác nhận theo hướng dẫn hiện hành).",
                SRC_CERTIFICATE,
                "cert_date",
            )
        ]
    return []


# --------------------------------------------------------------------------------------------
# Introducers (3-KNĐ)
# --------------------------------------------------------------------------------------------


class IntroducerKind(StrEnum):
    """Who introduces: an official member, or a mass organisation's executive committee."""

    MEMBER = "member"
    YOUTH_UNION = "youth_union"
    TRADE_UNION = "trade_union"


INTRODUCER_LABELS: dict[IntroducerKind, str] = {
    IntroducerKind.MEMBER: "Đảng viên chính thức",
    IntroducerKind.YOUTH_UNION: "Ban Chấp hành Đoàn cơ sở",
    IntroducerKind.TRADE_UNION: "Ban Chấp hành Công đoàn cơ sở",
}


@dataclass(frozen=True)
class IntroducerFacts:
    """What the rules need to know about one introducer."""

    kind: IntroducerKind
    name: str
    letter_date: date
    member_status: str = ""  # the member's status on the letter date ("official", …)
    official_since: date | None = None
    months_together: int = 0
    replacement: bool = False


def check_introducer(facts: IntroducerFacts, pack: RulePack) -> list[Refusal]:
    """Refuse an introducer who is not an official member of long enough acquaintance."""
    if facts.kind != IntroducerKind.MEMBER:
        return []
    official = facts.member_status in ("official", "exempted") and (
        facts.official_since is None or facts.official_since <= facts.letter_date
    )
    if not official:
        return [
            Refusal(
                f"{facts.name} chưa là đảng viên chính thức vào ngày giới thiệu "
                f"{format_date(facts.letter_date)}: đảng viên dự bị không được giới thiệu người "
                "vào Đảng.",
                SRC_INTRODUCER,
                "member",
            )
        ]
    if not facts.replacement and facts.months_together < pack.introducer_months:
        return [
            Refusal(
                f"{facts.name} mới cùng công tác, học tập hoặc cư trú với người vào Đảng "
                f"{facts.months_together} tháng; phải ít nhất {pack.introducer_months} tháng "
                "trong cùng một đơn vị (trừ người giới thiệu thay thế).",
                SRC_INTRODUCER,
                "months_together",
            )
        ]
    return []


def check_introducer_set(kinds: Sequence[IntroducerKind]) -> list[Refusal]:
    """Refuse a set that is not two official members, or one union committee plus one member."""
    members = sum(1 for k in kinds if k == IntroducerKind.MEMBER)
    unions = len(kinds) - members
    if (members == 2 and unions == 0) or (members == 1 and unions == 1):
        return []
    return [
        Refusal(
            "Người vào Đảng phải được hai đảng viên chính thức giới thiệu, hoặc Ban Chấp hành "
            "Đoàn (Công đoàn) cơ sở và một đảng viên chính thức giới thiệu; hiện có "
            f"{members} đảng viên và {unions} tổ chức đoàn thể.",
            SRC_INTRODUCER,
            "introducers",
        )
    ]


# --------------------------------------------------------------------------------------------
# Votes
# --------------------------------------------------------------------------------------------


class VoteKind(StrEnum):
    """Which body votes on what."""

    CELL_ADMISSION = "cell_admission"
    COMMITTEE_ADMISSION = "committee_admission"
    CELL_RECOGNITION = "cell_recognition"
    COMMITTEE_RECOGNITION = "committee_recognition"


VOTE_LABELS: dict[VoteKind, str] = {
    VoteKind.CELL_ADMISSION: "Chi bộ xét đề nghị kết nạp (6-KNĐ)",
    VoteKind.COMMITTEE_ADMISSION: "Đảng ủy cơ sở xét đề nghị kết nạp (8-KNĐ)",
    VoteKind.CELL_RECOGNITION: "Chi bộ xét công nhận chính thức (13-KNĐ)",
    VoteKind.COMMITTEE_RECOGNITION: "Đảng ủy cơ sở xét công nhận chính thức (15-KNĐ)",
}
CELL_VOTES = frozenset({VoteKind.CELL_ADMISSION, VoteKind.CELL_RECOGNITION})


class Proposal(StrEnum):
    """What a probation vote proposes."""

    ADMIT = "admit"
    RECOGNISE = "recognise"
    REMOVE = "remove"


PROPOSAL_LABELS: dict[Proposal, str] = {
    Proposal.ADMIT: "Kết nạp",
    Proposal.RECOGNISE: "Công nhận đảng viên chính thức",
    Proposal.REMOVE: "Xóa tên khỏi danh sách đảng viên dự bị",
}


def check_ballots(
    votes_for: int, against: int, abstain: int, eligible: int, *, cell: bool, who: str = ""
) -> list[Refusal]:
    """Refuse negative counts, no eligible voter, or more ballots than eligible voters.

    `who` names the voters when the caller knows better (the committee counted from the
    registry at the meeting date).
    """
    source = SRC_CELL_VOTE if cell else SRC_COMMITTEE_VOTE
    if min(votes_for, against, abstain) < 0:
        return [Refusal("Số phiếu không được âm.", source, "votes_for")]
    if eligible <= 0:
        who = "đảng viên chính thức của chi bộ" if cell else "cấp ủy viên"
        return [Refusal(f"Không có {who} có quyền biểu quyết.", source, "eligible")]
    total = votes_for + against + abstain
    if total > eligible:
        who = who or (
            "đảng viên chính thức của chi bộ vào ngày họp (đảng viên dự bị không biểu quyết)"
            if cell
            else "cấp ủy viên"
        )
        return [
            Refusal(
                f"Tổng số phiếu ({total}) nhiều hơn số {who}: {eligible}.",
                source,
                "votes_for",
            )
        ]
    return []


def vote_passes(votes_for: int, eligible: int, threshold: Fraction) -> bool:
    """Tell whether `votes_for` reaches `threshold` of all `eligible` voters (not those present)."""
    return eligible > 0 and Fraction(votes_for, eligible) >= threshold


def votes_needed(eligible: int, threshold: Fraction) -> int:
    """Return the fewest votes for that pass."""
    needed = threshold * eligible
    return int(needed) if needed.denominator == 1 else int(needed) + 1


def probation_vote_step(
    *, passed: bool, proposal: Proposal, failed_before: int, pack: RulePack
) -> Step:
    """Return the step a cell's probation vote leads to (the third failure escalates)."""
    if passed:
        return (
            Step.RECOGNITION_VOTE_PASSED
            if proposal == Proposal.RECOGNISE
            else Step.REMOVAL_VOTE_PASSED
        )
    if failed_before + 1 >= pack.escalation_failed_votes:
        return Step.ESCALATE
    return Step.PROBATION_VOTE_FAILED


def recognition_committee_step(*, passed: bool, failed_before: int, pack: RulePack) -> Step:
    """Return the step a committee's recognition vote leads to (the third failure escalates)."""
    if passed:
        return Step.RECOGNITION_COMMITTEE_PASSED
    if failed_before + 1 >= pack.escalation_failed_votes:
        return Step.ESCALATE
    return Step.RECOGNITION_COMMITTEE_FAILED


# --------------------------------------------------------------------------------------------
# Dates and deadlines
# --------------------------------------------------------------------------------------------


def probation_end(ceremony: date, pack: RulePack) -> date:
    """Return the day the 12 months of probation end: the official date if recognised."""
    return add_months(ceremony, pack.probation_months)


def decision_deadline(
    cell_resolution: date, pack: RulePack, extension_wd: int = 0, cal: Calendar = DEFAULT
) -> date:
    """Return the last day to decide the admission (60 wd after the cell's resolution)."""
    return add_workdays(cell_resolution, pack.decision_deadline_wd + extension_wd, cal)[0]


def ceremony_deadline(decision_received: date, pack: RulePack, cal: Calendar = DEFAULT) -> date:
    """Return the last day to hold the ceremony (30 wd after the decision is received)."""
    return add_workdays(decision_received, pack.ceremony_deadline_wd, cal)[0]


def recognition_consider_deadline(ceremony: date, pack: RulePack, cal: Calendar = DEFAULT) -> date:
    """Return the last day for the cell to consider recognition (30 wd after probation ends)."""
    return add_workdays(probation_end(ceremony, pack), pack.recognition_consider_wd, cal)[0]


def recognition_decide_deadline(
    cell_resolution: date, pack: RulePack, extension_wd: int = 0, cal: Calendar = DEFAULT
) -> date:
    """Return the last day to decide recognition (30 wd after the cell's resolution + extension)."""
    return add_workdays(cell_resolution, pack.recognition_decide_wd + extension_wd, cal)[0]


def stale_after(made: date, pack: RulePack) -> date:
    """Return the last day a letter, union resolution or comment summary stays usable."""
    return add_months(made, pack.staleness_months)


def check_not_stale(
    documents: Iterable[tuple[str, date]], meeting: date, pack: RulePack
) -> list[Refusal]:
    """Refuse introductions and comments made more than 12 months before the cell meets."""
    stale = [
        f"{code} ngày {format_date(made)}"
        for code, made in documents
        if code in STALE_CODES and meeting > stale_after(made, pack)
    ]
    if not stale:
        return []
    return [
        Refusal(
            f"Quá {pack.staleness_months} tháng kể từ khi lập mà chi bộ chưa xét, phải làm lại: "
            f"{'; '.join(stale)}.",
            SRC_STALENESS,
            "documents",
        )
    ]


def check_order(
    earlier: date | None, later: date, what_earlier: str, what_later: str
) -> list[Refusal]:
    """Refuse `later` when it comes before `earlier` (dates out of order)."""
    if earlier is not None and later < earlier:
        return [
            Refusal(
                f"{what_later} ({format_date(later)}) không được trước {what_earlier} "
                f"({format_date(earlier)}).",
                SRC_STATE,
                "date",
            )
        ]
    return []


@dataclass(frozen=True)
class Deadline:
    """The next deadline of a case: what, by when, and the rule behind it."""

    what: str
    due: date
    source: str


def party_age_start(decision: date) -> date:
    """Return the day Party age counts from: the admission decision (rules.md §3.5)."""
    return decision


@dataclass(frozen=True)
class CaseDates:
    """The dates of a case the deadlines are counted from."""

    state: State
    opened_on: date
    cell_resolution: date | None = None
    decision_extension_wd: int = 0
    decision_received: date | None = None
    ceremony: date | None = None
    recognition_resolution: date | None = None
    recognition_extension_wd: int = 0
    stale_documents: tuple[tuple[str, date], ...] = ()
    cert_date: date | None = None


def next_deadline(c: CaseDates, pack: RulePack, cal: Calendar = DEFAULT) -> Deadline | None:
    """Return the deadline the case is working towards now, if any."""
    s = c.state
    if s in (State.DOSSIER, State.CELL_REVIEW):
        dues = [
            Deadline(
                f"{code} hết hiệu lực (quá {pack.staleness_months} tháng)",
                stale_after(d, pack),
                SRC_STALENESS,
            )
            for code, d in c.stale_documents
            if code in STALE_CODES
        ]
        if c.cert_date is not None:
            dues.append(
                Deadline(
                    "Giấy chứng nhận nhận thức về Đảng hết hạn",
                    certificate_expiry(c.cert_date, pack),
                    SRC_CERTIFICATE,
                )
            )
        return min(dues, key=lambda d: d.due) if dues else None
    if s in (State.BRANCH_APPRAISAL, State.COMMITTEE_REVIEW, State.AWAITING_DECISION):
        if c.cell_resolution is None:
            return None
        return Deadline(
            "Ra quyết định kết nạp",
            decision_deadline(c.cell_resolution, pack, c.decision_extension_wd, cal),
            SRC_DECISION,
        )
    if s == State.AWAITING_CEREMONY and c.decision_received is not None:
        return Deadline(
            "Tổ chức lễ kết nạp", ceremony_deadline(c.decision_received, pack, cal), SRC_CEREMONY
        )
    if s == State.PROBATION and c.ceremony is not None:
        return Deadline(
            "Chi bộ xét công nhận đảng viên chính thức",
            recognition_consider_deadline(c.ceremony, pack, cal),
            SRC_RECOGNITION,
        )
    if (
        s in (State.RECOGNITION_COMMITTEE, State.AWAITING_RECOGNITION, State.REMOVAL_PROPOSED)
        and c.recognition_resolution is not None
    ):
        return Deadline(
            "Quyết định công nhận chính thức (hoặc xóa tên)",
            recognition_decide_deadline(
                c.recognition_resolution, pack, c.recognition_extension_wd, cal
            ),
            SRC_RECOGNITION,
        )
    return None
