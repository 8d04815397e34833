# The crosswalk's constraints, in a migration of their own: PostgreSQL does not alter a table in the
# transaction that just updated its rows (0005 gives existing indicators their kind).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0005_crosswalk"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("crosswalk__in", ("same", "split")), ("derived_from__isnull", False)),
                    models.Q(
                        models.Q(("crosswalk__in", ("same", "split")), _negated=True), ("derived_from__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="indicator_crosswalk_predecessor",
            ),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.UniqueConstraint(
                condition=models.Q(("crosswalk", "same")),
                fields=("version", "derived_from"),
                name="indicator_same_continues_one",
            ),
        ),
    ]
