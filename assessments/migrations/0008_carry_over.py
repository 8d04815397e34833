import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0007_snapshot_rules_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="answer",
            name="carried_over",
            field=models.BooleanField(
                default=False,
                help_text="Carried over from an earlier round and waiting for a person to confirm or change it; until then it counts as not answered.",
                verbose_name="carried over, not confirmed",
            ),
        ),
        migrations.AddField(
            model_name="round",
            name="started_from",
            field=models.ForeignKey(
                blank=True,
                help_text="The earlier round whose answers were carried over into this one, for the city to confirm.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="assessments.round",
                verbose_name="started from",
            ),
        ),
    ]
