from django.db import migrations, models

import assessments.models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_review_returns"),
    ]

    operations = [
        # Snapshots taken before the field existed were made with the first version of the rules;
        # new ones record the version in force.
        migrations.AddField(
            model_name="scoresnapshot",
            name="rules_version",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="The version of the scoring rules the scores were made with.",
                verbose_name="scoring rules version",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="scoresnapshot",
            name="rules_version",
            field=models.PositiveSmallIntegerField(
                default=assessments.models.current_rules_version,
                help_text="The version of the scoring rules the scores were made with.",
                verbose_name="scoring rules version",
            ),
        ),
    ]
