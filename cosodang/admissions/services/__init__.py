"""Writes of the admission pipeline; each service is atomic, checked, and audited once.

A step is refused, with nothing written, when the state machine does not allow it, a
document is missing, dates are out of order, an introducer does not qualify or a vote has
more ballots than voters. The member record is created at the admission decision and updated
on recognition or removal through the member registry's own services (members/services.py).
"""

from ._common import (
    CANDIDATE_FIELDS,
    CANDIDATE_ORG_TYPES,
    UPLOAD_EXTENSIONS,
    UPLOAD_MAX_BYTES,
    has_branch_committee,
    refuse,
)
from .candidates import create_candidate, update_candidate
from .decisions import (
    PROBATION_STATES,
    add_probation_note,
    assign_helper,
    decide_admission,
    extend_decision,
    extend_recognition,
    hold_ceremony,
    mark_notification_read,
    recognise,
    remove_from_list,
    stop_case,
)
from .dossier import (
    DOSSIER_STATES,
    add_document,
    add_introducer,
    generate_document,
    open_case,
    remove_introducer,
    update_dossier,
)
from .votes import (
    committee_count,
    committee_members_on,
    grassroots_org,
    official_members_on,
    record_branch_appraisal,
    record_cell_vote,
    record_committee_vote,
    submit_dossier,
)

__all__ = [
    "CANDIDATE_FIELDS",
    "CANDIDATE_ORG_TYPES",
    "DOSSIER_STATES",
    "PROBATION_STATES",
    "UPLOAD_EXTENSIONS",
    "UPLOAD_MAX_BYTES",
    "add_document",
    "add_introducer",
    "add_probation_note",
    "assign_helper",
    "committee_count",
    "committee_members_on",
    "create_candidate",
    "decide_admission",
    "extend_decision",
    "extend_recognition",
    "generate_document",
    "grassroots_org",
    "has_branch_committee",
    "hold_ceremony",
    "mark_notification_read",
    "official_members_on",
    "open_case",
    "recognise",
    "record_branch_appraisal",
    "record_cell_vote",
    "record_committee_vote",
    "refuse",
    "remove_from_list",
    "remove_introducer",
    "stop_case",
    "submit_dossier",
    "update_candidate",
    "update_dossier",
]
