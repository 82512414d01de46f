"""Reminders before each deadline (admissions/reminders.py and its django.tasks task)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from cosodang.admissions.models import Notification
from cosodang.admissions.reminders import send_reminders
from cosodang.admissions.tasks import send_deadline_reminders
from cosodang.admissions.tests.builders import cell_passed_case, decided_case

pytestmark = pytest.mark.django_db

# The decision is due on 01/10/2024 (60 wd after the cell's resolution of 05/07/2024).
BEFORE = date(2024, 9, 25)


def test_the_committee_is_reminded_of_the_decision_deadline(world) -> None:
    cell_passed_case(world)
    send_reminders(BEFORE)
    (note,) = Notification.objects.all()
    assert note.user == world.staff_a
    assert note.due == date(2024, 10, 1)
    assert "Ra quyết định kết nạp" in note.message and "4.3.1" in note.message


def test_the_cell_is_reminded_of_the_ceremony(world) -> None:
    decided_case(world)
    send_reminders(date(2024, 9, 20))
    assert "secretary_a" in set(Notification.objects.values_list("user__username", flat=True))


def test_nobody_is_reminded_long_before_a_deadline(world) -> None:
    cell_passed_case(world)
    assert send_reminders(date(2024, 7, 10)) == 0


def test_running_the_reminders_twice_sends_nothing_twice(world) -> None:
    cell_passed_case(world)
    send_reminders(BEFORE)
    assert send_reminders(BEFORE) == 0


def test_a_reminder_is_mailed_when_mail_is_configured(world, settings) -> None:
    settings.COSODANG_ADMISSION_EMAIL = True
    world.staff_a.email = "staff@example.org"
    world.staff_a.save(update_fields=["email"])
    cell_passed_case(world)
    send_reminders(BEFORE)
    assert [m.to for m in mail.outbox] == [["staff@example.org"]]


def test_the_task_runs_the_reminders(world) -> None:
    result = send_deadline_reminders.enqueue()
    assert result.return_value == 0


def test_the_board_lists_the_users_own_reminders(world, client) -> None:
    cell_passed_case(world)
    send_reminders(BEFORE)
    client.force_login(world.staff_a)
    response = client.get("/ket-nap/")
    assert len(response.context["notifications"]) == 1
    client.force_login(world.secretary_a)
    assert client.get("/ket-nap/").context["notifications"] == []
