"""The pack a period uses is readable by everyone taking part in that period.

A province clones QĐ 366 with its own parameters and names the clone in its period; the cells'
secretaries and members are rated under it and must be able to read it, while a clone no
period uses stays visible in its owner's subtree only.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from cosodang.core.testing import World
from cosodang.evaluations.models import StoredPack
from cosodang.evaluations.selectors import packs as selectors
from cosodang.evaluations.services.packs import clone_stored_pack
from cosodang.evaluations.tests.builders_ratings import make_period

pytestmark = pytest.mark.django_db


def _clone(world: World, code: str) -> StoredPack:
    return clone_stored_pack(
        actor=world.staff_a,
        source=StoredPack.objects.get(code="QD366"),
        owner=world.province_a,
        code=code,
        title=f"QĐ 366 — {code}",
        effective_from=date(2025, 1, 1),
    )


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("admin", True),
        ("staff_a", True),
        ("secretary_a", True),
        ("member_a", True),
        ("staff_b", False),
    ],
)
def test_the_clone_a_period_uses_is_readable_by_whoever_takes_part(
    world: World, persona: str, sees: bool
) -> None:
    used = _clone(world, "QD366-HN")
    make_period(world.province_a, pack=used)
    actor = world.personas()[persona]
    assert ("QD366-HN" in set(selectors.list_packs(actor).values_list("code", flat=True))) is sees
    if sees:
        assert selectors.get_stored_pack(actor, used.pk) == used
    else:
        with pytest.raises(Http404):
            selectors.get_stored_pack(actor, used.pk)


def test_a_clone_no_period_uses_stays_with_its_owners_subtree(world: World) -> None:
    make_period(world.province_a, pack=_clone(world, "QD366-HN"))
    _clone(world, "QD366-NHAP")
    codes = set(selectors.list_packs(world.secretary_a).values_list("code", flat=True))
    assert codes == {"QD132", "QD124", "QD366", "QD366-HN"}


def test_a_secretary_opens_the_page_of_the_pack_their_period_uses(world: World) -> None:
    used = _clone(world, "QD366-HN")
    make_period(world.province_a, pack=used)
    client = Client()
    client.force_login(world.secretary_a)
    response = client.get(reverse("evaluations:pack_detail", args=[used.pk]))
    assert response.status_code == 200
    assert "QD366-HN" in response.content.decode()


def test_listing_the_packs_is_one_query(world: World, django_assert_num_queries) -> None:
    make_period(world.province_a, pack=_clone(world, "QD366-HN"))
    actor = world.secretary_a
    selectors.list_packs(actor).count()  # warm the grants
    with django_assert_num_queries(1):
        list(selectors.list_packs(actor))
