"""Reminders before each deadline: in-app notifications, and e-mail when configured.

Run daily by the `send_deadline_reminders` task (and `manage.py send_admission_reminders`).
Idempotent: one notification per user, case, deadline and due date (a unique constraint), so
running it twice a day sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from cosodang.accounts.models import RoleGrant
from cosodang.core import audit
from cosodang.core.access import ROLE_ACTIONS, Action
from cosodang.core.vn import format_date
from cosodang.core.workdays import workdays_between

from . import rules
from .config import pack_for, work_calendar
from .models import OPEN_STATES, AdmissionCase, Notification
from .selectors import case_dates

log = logging.getLogger(__name__)


def _recipients(org_path: str, step_is_committee: bool) -> list[tuple[int, str]]:
    """Return (user id, e-mail) of who must act: the cell (secretary) or the committee (staff)."""
    action = Action.DECIDE_ADMISSION if step_is_committee else Action.MANAGE_ADMISSION
    roles = [r for r, actions in ROLE_ACTIONS.items() if action in actions]
    prefixes = {org_path[: i + 1] for i, ch in enumerate(org_path) if ch == "."}
    grants = RoleGrant.objects.filter(
        org__path__in=prefixes, role__in=roles, user__is_active=True, org__effective_to__isnull=True
    ).values_list("user_id", "user__email")
    return sorted(set(grants))


COMMITTEE_STATES = frozenset(
    {
        rules.State.BRANCH_APPRAISAL,
        rules.State.COMMITTEE_REVIEW,
        rules.State.AWAITING_DECISION,
        rules.State.RECOGNITION_COMMITTEE,
        rules.State.AWAITING_RECOGNITION,
        rules.State.REMOVAL_PROPOSED,
        rules.State.ESCALATED,
    }
)


def send_reminders(today: date | None = None) -> int:
    """Notify who must act on each open case whose deadline is within the reminder window."""
    today = today or timezone.localdate()
    cal = work_calendar()
    window = pack_for(today).reminder_wd
    created = 0
    cases = AdmissionCase.objects.filter(state__in=OPEN_STATES).select_related("candidate")
    for case in cases.prefetch_related("documents").iterator(chunk_size=500):
        deadline = rules.next_deadline(case_dates(case), pack_for(case.opened_on), cal)
        if deadline is None:
            continue
        left = workdays_between(today, deadline.due, cal)
        if left > window:
            continue
        when = f"quá hạn {-left} ngày làm việc" if left < 0 else f"còn {left} ngày làm việc"
        message = (
            f"{case.candidate}: {deadline.what} trước {format_date(deadline.due)} ({when}; "
            f"{deadline.source})."
        )
        state = rules.State(case.state)
        for user_id, email in _recipients(case.org_path, state in COMMITTEE_STATES):
            try:
                with transaction.atomic():
                    Notification.objects.create(
                        user_id=user_id,
                        case=case,
                        org_path=case.org_path,
                        kind=deadline.what[:40],
                        due=deadline.due,
                        message=message[:500],
                    )
            except IntegrityError:
                continue  # already reminded of this deadline
            created += 1
            if email and getattr(settings, "COSODANG_ADMISSION_EMAIL", False):
                try:
                    send_mail("Nhắc việc kết nạp đảng viên", message, None, [email])
                except Exception:  # a mail server down must not stop the other reminders
                    log.exception("reminder e-mail to user %s failed", user_id)
    if created:
        audit.record(
            actor=None,
            action="admissions.send_reminders",
            object_type="admissions.Notification",
            object_repr=f"Nhắc việc ngày {format_date(today)}",
            changes={"created": created},
        )
    return created
