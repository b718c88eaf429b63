# The audit trail now belongs to keel.audit (its migration 0001 took the table over).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditRecord")],
            database_operations=[],
        ),
    ]
