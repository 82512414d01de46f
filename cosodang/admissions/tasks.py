"""Background tasks of the admissions app (django.tasks; run by `manage.py db_worker`)."""

from __future__ import annotations

from django.tasks import task


@task()
def send_deadline_reminders() -> int:
    """Create the in-app (and e-mail) reminders of every deadline coming up; return how many."""
    from . import reminders

    return reminders.send_reminders()
