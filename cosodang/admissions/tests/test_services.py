"""The admission pipeline through its services: happy path, failures, and refused input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from cosodang.admissions import services
from cosodang.admissions.models import AdmissionCase, CaseEvent, Document, Introducer, Vote
from cosodang.admissions.tests.builders import (
    CELL_VOTE,
    CEREMONY,
    COMMITTEE_VOTE,
    DECISION,
    DOC_DAY,
    PROBATION_END,
    RECEIVED,
    RECOGNITION_COMMITTEE,
    RECOGNITION_DECISION,
    RECOGNITION_VOTE,
    cell_passed_case,
    decided_case,
    dossier_case,
    make_candidate,
    probation_case,
    recognition_ready_case,
    refresh,
    submitted_case,
    upload,
)
from cosodang.core.models import AuditEvent
from cosodang.core.testing import make_member
from cosodang.members.models import Member

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int, int]:
    return (
        AuditEvent.objects.count(),
        Vote.objects.count(),
        CaseEvent.objects.count(),
        Member.objects.count(),
        Introducer.objects.count(),
    )


def recognise_all_the_way(world) -> AdmissionCase:
    case = recognition_ready_case(world)
    services.record_cell_vote(
        actor=world.secretary_a,
        case=case,
        meeting_date=RECOGNITION_VOTE,
        votes_for=3,
        against=1,
        abstain=0,
        proposal="recognise",
    )
    upload(world, refresh(case), "13-KNĐ", day=RECOGNITION_VOTE)
    services.record_committee_vote(
        actor=world.staff_a,
        case=refresh(case),
        meeting_date=RECOGNITION_COMMITTEE,
        eligible=9,
        votes_for=9,
        against=0,
        abstain=0,
    )
    upload(world, refresh(case), "15-KNĐ", day=RECOGNITION_COMMITTEE)
    return services.recognise(
        actor=world.staff_a, case=refresh(case), decision_date=RECOGNITION_DECISION
    )


# --- the happy path --------------------------------------------------------------------------


def test_a_candidate_goes_all_the_way_to_official_member(world) -> None:
    case = recognise_all_the_way(world)
    assert case.state == "official"


def test_the_member_is_official_from_the_exact_end_of_probation_though_decided_later(
    world,
) -> None:
    case = recognise_all_the_way(world)
    member = Member.objects.get(pk=case.member_id)
    assert (member.status, member.official_date) == ("official", PROBATION_END)
    assert RECOGNITION_DECISION > PROBATION_END


def test_party_age_starts_at_the_admission_decision_and_probation_at_the_ceremony(world) -> None:
    case = probation_case(world)
    member = Member.objects.get(pk=case.member_id)
    assert (member.decision_date, member.ceremony_date, member.status) == (
        DECISION,
        CEREMONY,
        "probationary",
    )


def test_the_member_record_is_created_in_the_cell_at_the_decision(world) -> None:
    case = decided_case(world)
    assert case.member.org_id == world.cell_a.pk
    assert case.state == "awaiting_ceremony"


def test_every_write_of_the_happy_path_is_audited_with_the_member_registry_writes(world) -> None:
    before = AuditEvent.objects.count()
    recognise_all_the_way(world)
    actions = list(AuditEvent.objects.order_by("id")[before:].values_list("action", flat=True))
    assert "members.create_member" in actions
    assert actions.count("members.update_member") == 2  # ceremony, recognition
    assert "admissions.recognise" in actions


def test_the_timeline_records_who_moved_the_case_and_to_which_state(world) -> None:
    case = recognise_all_the_way(world)
    moves = list(case.events.exclude(step="").values_list("actor_label", "to_state"))
    assert moves[0] == ("secretary_a", "cell_review")
    assert moves[-1] == ("staff_a", "official")


def test_the_cell_vote_counts_only_official_members_on_the_meeting_date(world) -> None:
    make_member(world.cell_a, status="probationary")  # does not vote
    case = submitted_case(world)
    vote = services.record_cell_vote(
        actor=world.secretary_a,
        case=case,
        meeting_date=CELL_VOTE,
        votes_for=3,
        against=1,
        abstain=0,
    )
    assert (vote.eligible, vote.passed) == (4, True)


def test_a_case_under_a_branch_committee_goes_to_its_appraisal(world) -> None:
    from cosodang.core.testing import make_org
    from cosodang.orgs.rules import OrgType

    sub = make_org("Đảng bộ bộ phận Đội", OrgType.SUB_BRANCH, world.branch_a)
    world.cell_a.parent = sub
    world.cell_a.save(update_fields=["parent"])
    case = cell_passed_case(world)
    assert case.state == "branch_appraisal"


# --- failures --------------------------------------------------------------------------------


def test_a_cell_vote_below_two_thirds_stops_the_case_with_the_reason(world) -> None:
    case = submitted_case(world)
    vote = services.record_cell_vote(
        actor=world.secretary_a,
        case=case,
        meeting_date=CELL_VOTE,
        votes_for=2,
        against=2,
        abstain=0,
    )
    case = refresh(case)
    assert (vote.passed, case.state) == (False, "stopped")
    assert "2/4" in case.stop_reason and "cần ít nhất 3" in case.stop_reason


def test_two_thirds_of_official_members_not_of_those_present_is_needed(world) -> None:
    # 2 of the 4 official members present and both agree: 2/2 present but only 2/4 of the cell.
    case = submitted_case(world)
    vote = services.record_cell_vote(
        actor=world.secretary_a,
        case=case,
        meeting_date=CELL_VOTE,
        votes_for=2,
        against=0,
        abstain=0,
    )
    assert vote.passed is False


def test_a_committee_vote_below_two_thirds_stops_the_case(world) -> None:
    case = cell_passed_case(world)
    services.record_committee_vote(
        actor=world.staff_a,
        case=case,
        meeting_date=COMMITTEE_VOTE,
        eligible=9,
        votes_for=5,
        against=4,
        abstain=0,
    )
    assert refresh(case).state == "stopped"


def test_a_probation_ending_in_removal_marks_the_member_removed(world) -> None:
    case = probation_case(world)
    services.record_cell_vote(
        actor=world.secretary_a,
        case=case,
        meeting_date=RECOGNITION_VOTE,
        votes_for=4,
        against=0,
        abstain=0,
        proposal="remove",
    )
    assert refresh(case).state == "removal_proposed"
    services.remove_from_list(
        actor=world.staff_a,
        case=refresh(case),
        decision_date=RECOGNITION_DECISION,
        reason="Không đủ tư cách đảng viên sau 12 tháng dự bị",
    )
    member = Member.objects.get(pk=case.member_id)
    assert (refresh(case).state, member.status) == ("removed", "removed")


def _failed_probation_vote(world, case, day):
    return services.record_cell_vote(
        actor=world.secretary_a,
        case=refresh(case),
        meeting_date=day,
        votes_for=2,
        against=2,
        abstain=0,
        proposal="recognise",
    )


def test_a_failed_probation_vote_keeps_the_case_in_probation(world) -> None:
    case = recognition_ready_case(world)
    _failed_probation_vote(world, case, RECOGNITION_VOTE)
    case = refresh(case)
    assert (case.state, case.failed_probation_votes) == ("probation", 1)


def test_the_third_failed_vote_escalates_to_the_superior_committee(world) -> None:
    case = recognition_ready_case(world)
    for day in (RECOGNITION_VOTE, date(2025, 9, 17), date(2025, 9, 24)):
        _failed_probation_vote(world, case, day)
    case = refresh(case)
    assert (case.state, case.failed_probation_votes) == ("escalated", 3)


def test_the_superior_committee_decides_an_escalated_case(world) -> None:
    case = recognition_ready_case(world)
    for day in (RECOGNITION_VOTE, date(2025, 9, 17), date(2025, 9, 24)):
        _failed_probation_vote(world, case, day)
    services.recognise(actor=world.staff_a, case=refresh(case), decision_date=date(2025, 10, 15))
    assert Member.objects.get(pk=case.member_id).official_date == PROBATION_END


def test_a_failed_committee_recognition_vote_counts_towards_escalation(world) -> None:
    case = recognition_ready_case(world)
    _failed_probation_vote(world, case, RECOGNITION_VOTE)
    _failed_probation_vote(world, case, date(2025, 9, 17))
    services.record_cell_vote(
        actor=world.secretary_a,
        case=refresh(case),
        meeting_date=date(2025, 9, 24),
        votes_for=4,
        against=0,
        abstain=0,
        proposal="recognise",
    )
    upload(world, refresh(case), "13-KNĐ", day=date(2025, 9, 24))
    services.record_committee_vote(
        actor=world.staff_a,
        case=refresh(case),
        meeting_date=date(2025, 9, 29),
        eligible=9,
        votes_for=3,
        against=6,
        abstain=0,
    )
    assert refresh(case).state == "escalated"


# --- refused input, nothing half-written -----------------------------------------------------


def test_an_illegal_transition_is_refused_and_writes_nothing(world) -> None:
    case = dossier_case(world)
    before = counts()
    with pytest.raises(ValidationError, match="Không thể"):
        services.hold_ceremony(actor=world.secretary_a, case=case, ceremony_date=CEREMONY)
    assert counts() == before


def test_a_vote_on_a_case_still_in_the_dossier_is_refused(world) -> None:
    case = dossier_case(world)
    before = counts()
    with pytest.raises(ValidationError, match="Không thể"):
        services.record_cell_vote(
            actor=world.secretary_a,
            case=case,
            meeting_date=CELL_VOTE,
            votes_for=4,
            against=0,
            abstain=0,
        )
    assert counts() == before


def test_submitting_without_the_application_is_refused_naming_the_form_and_the_rule(
    world,
) -> None:
    case = dossier_case(world)
    Document.objects.filter(case=case, code="1-KNĐ").delete()
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.submit_dossier(actor=world.secretary_a, case=case, on=date(2024, 7, 1))
    text = str(exc.value)
    assert "1-KNĐ" in text and "Hướng dẫn 12-HD/BTCTW" in text
    assert counts() == before
    assert refresh(case).state == "dossier"


def test_a_ceremony_before_the_decision_is_refused(world) -> None:
    case = decided_case(world)
    before = counts()
    with pytest.raises(ValidationError, match="không được trước"):
        services.hold_ceremony(actor=world.secretary_a, case=case, ceremony_date=DECISION)
    assert counts() == before


def test_a_cell_vote_before_the_dossier_was_submitted_is_refused(world) -> None:
    case = submitted_case(world)
    before = counts()
    with pytest.raises(ValidationError, match="không được trước"):
        services.record_cell_vote(
            actor=world.secretary_a,
            case=case,
            meeting_date=date(2024, 6, 20),
            votes_for=4,
            against=0,
            abstain=0,
        )
    assert counts() == before


def test_a_ceremony_later_than_thirty_workdays_needs_the_superior_agreement(world) -> None:
    case = decided_case(world)
    late = RECEIVED + timedelta(days=60)
    with pytest.raises(ValidationError, match="30 ngày làm việc"):
        services.hold_ceremony(actor=world.secretary_a, case=case, ceremony_date=late)
    services.hold_ceremony(
        actor=world.secretary_a, case=refresh(case), ceremony_date=late, late_approval="CV 12/ĐU"
    )
    assert refresh(case).state == "probation"


def test_a_probationary_member_cannot_introduce(world) -> None:
    case = make_candidate(world)
    case = services.open_case(actor=world.secretary_a, candidate=case, opened_on=date(2024, 6, 3))
    probationary = make_member(world.cell_a, status="probationary")
    before = counts()
    with pytest.raises(ValidationError, match="dự bị không được giới thiệu"):
        services.add_introducer(
            actor=world.secretary_a,
            case=case,
            kind="member",
            member=probationary,
            months_together=24,
            letter_date=DOC_DAY,
        )
    assert counts() == before


def test_an_introducer_of_less_than_twelve_months_is_refused(world) -> None:
    cand = make_candidate(world)
    case = services.open_case(actor=world.secretary_a, candidate=cand, opened_on=date(2024, 6, 3))
    with pytest.raises(ValidationError, match="ít nhất 12 tháng"):
        services.add_introducer(
            actor=world.secretary_a,
            case=case,
            kind="member",
            member=world.member_a,
            months_together=8,
            letter_date=DOC_DAY,
        )


def test_a_replacement_introducer_is_exempt_from_the_twelve_months(world) -> None:
    cand = make_candidate(world)
    case = services.open_case(actor=world.secretary_a, candidate=cand, opened_on=date(2024, 6, 3))
    intro = services.add_introducer(
        actor=world.secretary_a,
        case=case,
        kind="member",
        member=world.member_a,
        months_together=2,
        replacement=True,
        letter_date=DOC_DAY,
    )
    assert intro.pk


def test_a_youth_union_committee_and_one_member_may_introduce_with_the_union_resolution(
    world,
) -> None:
    cand = make_candidate(world)
    actor = world.secretary_a
    case = services.open_case(actor=actor, candidate=cand, opened_on=date(2024, 6, 3))
    services.add_introducer(actor=actor, case=case, kind="youth_union", letter_date=DOC_DAY)
    services.add_introducer(
        actor=actor,
        case=case,
        kind="member",
        member=world.member_a,
        months_together=24,
        letter_date=DOC_DAY,
    )
    services.update_dossier(
        actor=actor,
        case=case,
        cert_number="1",
        cert_issuer="TT",
        cert_date=date(2024, 5, 1),
        verified_relatives=["self", "parents"],
    )
    upload(world, case, "CN-NTVĐ", "1-KNĐ", "2-KNĐ", "TTLL", "3-KNĐ", "5-KNĐ")
    with pytest.raises(ValidationError, match="4-KNĐ"):
        services.submit_dossier(actor=actor, case=case, on=date(2024, 7, 1))
    upload(world, case, "4-KNĐ")
    assert (
        services.submit_dossier(actor=actor, case=refresh(case), on=date(2024, 7, 1)).state
        == "cell_review"
    )


def test_more_ballots_than_official_members_are_refused(world) -> None:
    case = submitted_case(world)
    before = counts()
    with pytest.raises(ValidationError, match="nhiều hơn số đảng viên chính thức"):
        services.record_cell_vote(
            actor=world.secretary_a,
            case=case,
            meeting_date=CELL_VOTE,
            votes_for=4,
            against=1,
            abstain=0,
        )
    assert counts() == before
    assert refresh(case).state == "cell_review"


def test_more_committee_ballots_than_committee_members_are_refused(world) -> None:
    case = cell_passed_case(world)
    with pytest.raises(ValidationError, match="cấp ủy viên"):
        services.record_committee_vote(
            actor=world.staff_a,
            case=case,
            meeting_date=COMMITTEE_VOTE,
            eligible=5,
            votes_for=5,
            against=1,
            abstain=0,
        )


def test_an_applicant_under_eighteen_on_the_meeting_day_is_refused(world) -> None:
    case = submitted_case(world, birth_date=date(2006, 7, 10))
    with pytest.raises(ValidationError, match="chưa đủ 18 tuổi"):
        services.record_cell_vote(
            actor=world.secretary_a,
            case=case,
            meeting_date=CELL_VOTE,
            votes_for=4,
            against=0,
            abstain=0,
        )


def test_an_applicant_over_sixty_needs_a_recorded_exception(world) -> None:
    case = submitted_case(world, birth_date=date(1963, 1, 1))
    with pytest.raises(ValidationError, match="quá 60 tuổi"):
        services.record_cell_vote(
            actor=world.secretary_a,
            case=case,
            meeting_date=CELL_VOTE,
            votes_for=4,
            against=0,
            abstain=0,
        )


def test_a_stale_introduction_must_be_made_again(world) -> None:
    case = submitted_case(world)
    late = date(2025, 7, 14)
    with pytest.raises(ValidationError, match="phải làm lại"):
        services.record_cell_vote(
            actor=world.secretary_a, case=case, meeting_date=late, votes_for=4, against=0, abstain=0
        )


def test_a_verification_leaving_out_the_spouse_of_a_married_applicant_is_refused(world) -> None:
    case = dossier_case(world, married=True)
    with pytest.raises(ValidationError, match="vợ \\(chồng\\)"):
        services.submit_dossier(actor=world.secretary_a, case=case, on=date(2024, 7, 1))


def test_recognition_before_the_twelve_months_end_is_refused(world) -> None:
    case = recognition_ready_case(world)
    with pytest.raises(ValidationError, match="sau khi hết 12 tháng"):
        services.record_cell_vote(
            actor=world.secretary_a,
            case=case,
            meeting_date=PROBATION_END - timedelta(days=1),
            votes_for=4,
            against=0,
            abstain=0,
            proposal="recognise",
        )


def test_a_future_date_is_refused(world) -> None:
    case = dossier_case(world)
    with pytest.raises(ValidationError, match="sau ngày hôm nay"):
        services.submit_dossier(actor=world.secretary_a, case=case, on=date(2099, 1, 1))


def test_the_decision_extension_is_capped_at_thirty_workdays(world) -> None:
    case = cell_passed_case(world)
    services.extend_decision(actor=world.staff_a, case=case, days=20, reason="Chờ thẩm tra bổ sung")
    with pytest.raises(ValidationError, match="tối đa 30"):
        services.extend_decision(actor=world.staff_a, case=refresh(case), days=11, reason="Lần nữa")


def test_a_secretary_cannot_take_a_committee_step(world) -> None:
    case = cell_passed_case(world)
    with pytest.raises(Http404):
        services.record_committee_vote(
            actor=world.secretary_a,
            case=case,
            meeting_date=COMMITTEE_VOTE,
            eligible=9,
            votes_for=9,
            against=0,
            abstain=0,
        )


def test_a_secretary_of_another_cell_cannot_open_a_case_here(world) -> None:
    cand = make_candidate(world)
    with pytest.raises(Http404):
        services.open_case(actor=world.staff_b, candidate=cand, opened_on=date(2024, 6, 3))


def test_a_second_open_case_for_the_same_candidate_is_refused(world) -> None:
    case = dossier_case(world)
    with pytest.raises(ValidationError, match="chưa kết thúc"):
        services.open_case(
            actor=world.secretary_a, candidate=case.candidate, opened_on=date(2024, 6, 4)
        )


def test_a_generated_document_is_a_docx_filled_with_the_candidate(world) -> None:
    import io

    from docx import Document as Docx

    case = dossier_case(world)
    doc = services.generate_document(
        actor=world.secretary_a, case=case, code="1-KNĐ", doc_date=DOC_DAY
    )
    text = "\n".join(p.text for p in Docx(io.BytesIO(doc.file.read())).paragraphs)
    assert doc.generated and doc.filename.endswith(".docx")
    assert "Đỗ Minh Khoa" in text and "ĐƠN XIN VÀO ĐẢNG" in text


def test_an_upload_of_an_executable_is_refused(world) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = dossier_case(world)
    with pytest.raises(ValidationError, match="PDF"):
        services.add_document(
            actor=world.secretary_a,
            case=case,
            code="1-KNĐ",
            doc_date=DOC_DAY,
            upload=SimpleUploadedFile("x.exe", b"MZ"),
        )


def test_stopping_a_case_records_the_reason(world) -> None:
    case = dossier_case(world)
    services.stop_case(
        actor=world.secretary_a, case=case, on=date(2024, 7, 1), reason="Chuyển công tác"
    )
    assert (refresh(case).state, refresh(case).stop_reason) == ("stopped", "Chuyển công tác")


def test_an_introducer_letter_older_than_twelve_months_is_refused_at_the_cell(world) -> None:
    case = submitted_case(world)  # letters of 10/06/2024
    upload(world, case, "3-KNĐ", "5-KNĐ", day=date(2025, 6, 1))  # fresh copies uploaded
    with pytest.raises(ValidationError, match="3-KNĐ ngày 10/06/2024"):
        services.record_cell_vote(
            actor=world.secretary_a,
            case=refresh(case),
            meeting_date=date(2025, 6, 12),
            votes_for=4,
            against=0,
            abstain=0,
        )
