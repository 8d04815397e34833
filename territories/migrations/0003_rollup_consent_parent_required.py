# A migration of its own: PostgreSQL refuses to alter a table whose rows 0002 just updated in the same transaction.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0010_authority_parent_and_more'),
        ('territories', '0002_rollup_consent_parent'),
    ]

    operations = [
        migrations.AlterField(
            model_name='rollupconsent',
            name='parent',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='assessments.authority', verbose_name='shared with'),
        ),
    ]
