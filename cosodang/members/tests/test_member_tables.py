"""The member list rows built in Python equal those of the template loop they replace."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse

from cosodang.core.testing import World, make_member
from cosodang.members.models import Member
from cosodang.members.templatetags.member_tables import member_rows
from cosodang.orgs.models import PartyOrg

# The loop of members/member_list.html before the rows moved to member_tables.member_rows.
TEMPLATE_LOOP = """{% for m in members %}
      <tr>
        <td><a href="{% url 'members:detail' m.pk %}">{{ m.full_name }}</a></td>
        <td>{{ m.get_sex_display }}</td>
        <td>{{ m.birth_date|date:"d/m/Y" }}</td>
        <td>{{ m.org.name }}</td>
        <td><span class="badge {% if m.status == 'official' %}badge-official{% elif m.status == 'probationary' %}badge-probationary{% else %}badge-muted{% endif %}">{{ m.status_label }}</span></td>
        <td>{{ m.decision_date|date:"d/m/Y" }}</td>
        <td>{{ m.get_rank_display }}{% if m.police_position %}, {{ m.police_position }}{% endif %}</td>
      </tr>
    {% endfor %}"""  # noqa: E501


def normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def member(pk: int, **fields: object) -> Member:
    org = PartyOrg(pk=7, name="Chi bộ <Đội 1> & “2”")
    values: dict[str, object] = {
        "full_name": "Nguyễn Thị Hà",
        "sex": "F",
        "birth_date": date(1985, 5, 1),
        "decision_date": date(2010, 3, 1),
        "status": "official",
        "rank": "dai_uy",
        "police_position": "",
    }
    values.update(fields)
    m = Member(pk=pk, org_id=7, **values)  # type: ignore[arg-type]
    m.org = org
    return m


def test_rows_equal_the_template_loop_for_every_kind_of_row() -> None:
    members = [
        member(1),
        member(2, sex="M", status="probationary", police_position="Đội trưởng"),
        member(3, status="transferred_out", rank="", full_name="Lê <b>'A'</b> & \"B\""),
        member(4, status="exempted", birth_date=date(1960, 12, 31), police_position="x & y"),
        member(5, status="deceased", decision_date=date(1999, 1, 2)),
    ]
    expected = engines["django"].from_string(TEMPLATE_LOOP).render({"members": members})
    assert normalised(member_rows(members)) == normalised(expected)


def test_no_rows_render_nothing() -> None:
    assert member_rows([]) == ""


@pytest.mark.django_db
def test_the_list_page_shows_the_rows_with_links(world: World, client: Client) -> None:
    extra = make_member(world.cell_a, "Đỗ Văn <Mới>", police_position="Tổ trưởng")
    client.force_login(world.staff_a)
    html = client.get(reverse("members:list"), {"org": world.cell_a.pk}).content.decode()
    assert f'<a href="{reverse("members:detail", args=[extra.pk])}">Đỗ Văn &lt;Mới&gt;</a>' in html
    assert "Tổ trưởng" in html
