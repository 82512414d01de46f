"""Narrow rating rows: reasons rebuilt on read, not stored (issue 4, speed at 1,000,000).

`proposed_reasons` and `reasons` go; what cannot be recomputed moves first: the cell's
adjustment of inputs (with its reason) into `extra`, the committee's override into `steps`
("o:<level before>"; its reason is already in `note`). No index on the proposer and the
decider, so a bulk pass's updates stay HOT on PostgreSQL (0005 sets the fillfactor).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def keep_what_cannot_be_recomputed(apps, schema_editor):  # type: ignore[no-untyped-def]
    Rating = apps.get_model("evaluations", "Rating")
    rows = Rating.objects.exclude(proposed_reasons=[], reasons=[]).only(
        "id", "proposed_reasons", "reasons", "proposed_level", "level", "note", "extra", "steps"
    )
    for rating in rows.iterator(chunk_size=2000):
        adjusted = next(
            (
                r
                for r in rating.proposed_reasons or []
                if isinstance(r, dict) and r.get("rule") == "inputs_adjusted"
            ),
            None,
        )
        overridden = any(
            isinstance(r, dict) and r.get("rule") == "override" for r in rating.reasons or []
        )
        if adjusted is None and not overridden:
            continue
        if adjusted is not None:
            rating.extra = {**(rating.extra or {}), "adjusted": adjusted}
        if overridden:
            rating.steps = f"o:{rating.proposed_level}"
        rating.save(update_fields=["extra", "steps"])


class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0003_ratings_calibration_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='rating',
            name='evaluations_rating_group',
        ),
        migrations.AddField(
            model_name='rating',
            name='extra',
            field=models.JSONField(blank=True, null=True, verbose_name='số liệu khác của đề xuất'),
        ),
        migrations.AddField(
            model_name='rating',
            name='steps',
            field=models.CharField(blank=True, max_length=80, verbose_name='các bước quyết định'),
        ),
        migrations.AlterField(
            model_name='rating',
            name='decided_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='rating',
            name='proposed_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(keep_what_cannot_be_recomputed, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='rating',
            name='proposed_reasons',
        ),
        migrations.RemoveField(
            model_name='rating',
            name='reasons',
        ),
    ]
