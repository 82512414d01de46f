"""The sub-organisation rows built in Python equal those of the template loop they replace."""

from __future__ import annotations

import re
from datetime import date

from django.template import engines
from django.urls import reverse

from cosodang.orgs import rules
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.selectors import Counts, OrgNode
from cosodang.orgs.templatetags.org_tables import child_org_rows

# The loop of orgs/detail.html before the rows moved to org_tables.child_org_rows.
TEMPLATE_LOOP = """{% for n in children %}
      <tr><td><a href="{% url 'orgs:detail' n.org.pk %}">{{ n.org.name }}</a>{% if not n.org.is_active %} <span class="badge badge-muted">đã giải thể/sáp nhập</span>{% endif %}</td>
        <td>{{ n.org.type_label }}</td><td class="num">{{ n.counts.official }}</td><td class="num">{{ n.counts.probationary }}</td>
        <td>{% for w in n.warnings %}<div class="small">⚠ {{ w.message }} <span class="muted">({{ w.source }})</span></div>{% endfor %}</td></tr>
    {% endfor %}"""  # noqa: E501


def node(pk: int, name: str, *, closed: bool = False, warnings: int = 0) -> OrgNode:
    org = PartyOrg(
        pk=pk,
        name=name,
        org_type=rules.OrgType.CELL,
        effective_from=date(2020, 1, 1),
        effective_to=date(2025, 1, 1) if closed else None,
    )
    found = [
        rules.StructureWarning(code=f"w{i}", message=f"Cảnh báo <{i}> & “x”", source="Điều 't'")
        for i in range(warnings)
    ]
    return OrgNode(org=org, counts=Counts(12345, 7), direct=Counts(), warnings=found)


def normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def test_rows_equal_the_template_loop_for_every_kind_of_row() -> None:
    nodes = [
        node(1, "Chi bộ Đội 1"),
        node(22, 'Chi bộ <b>"A" & B\'s</b>', warnings=2),
        node(333, "Chi bộ đã giải thể", closed=True, warnings=1),
    ]
    expected = engines["django"].from_string(TEMPLATE_LOOP).render({"children": nodes})
    assert normalised(child_org_rows(nodes)) == normalised(expected)


def test_row_links_are_the_detail_urls() -> None:
    html = child_org_rows([node(4242, "X")])
    assert f'href="{reverse("orgs:detail", args=[4242])}"' in html


def test_no_rows_render_nothing() -> None:
    assert child_org_rows([]) == ""
