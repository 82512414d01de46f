"""One peer comment per author, subject and period as a database constraint (partial unique
index on both SQLite and PostgreSQL); services.cycle.add_assessment checks it first and turns
a concurrent writer's IntegrityError into the same Vietnamese message."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0007_ratings_calibration_index_id")]

    operations = [
        migrations.AddConstraint(
            model_name="assessment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("source", "peer")),
                fields=("period", "member", "author"),
                name="evaluations_assessment_one_peer_comment",
                violation_error_message=(
                    "Bạn đã góp ý cho đồng chí này trong kỳ này (mỗi kỳ một lần)."
                ),
            ),
        ),
    ]
