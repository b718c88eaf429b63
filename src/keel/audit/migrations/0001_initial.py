# The audit trail moves from activity (above the CMDB and accounts on the import ladder) to its own
# app at the bottom, so every app's actions write it in their own transaction. The table and its
# rows are kept: the model is taken over in state, then the table renamed.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("activity", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("subject_type", models.CharField(max_length=32)),
                        ("subject_id", models.BigIntegerField()),
                        ("at", models.DateTimeField()),
                        ("field", models.CharField(max_length=64)),
                        ("old_value", models.TextField(blank=True)),
                        ("new_value", models.TextField(blank=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["at", "pk"],
                        "db_table": "activity_auditrecord",
                        "indexes": [models.Index(fields=["subject_type", "subject_id", "at"], name="audit_subject_at")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="auditrecord", table=None),
        migrations.AddField(
            model_name="auditrecord",
            name="channel",
            field=models.CharField(
                choices=[
                    ("console", "Console"),
                    ("api", "API"),
                    ("admin", "Admin"),
                    ("cli", "Command line"),
                    ("monitoring", "Monitoring"),
                    ("system", "Keel itself"),
                ],
                default="system",
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["-at", "-id"], name="audit_at"),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["actor", "-at", "-id"], name="audit_actor_at"),
        ),
        migrations.AddConstraint(
            model_name="auditrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(("channel__in", ["console", "api", "admin", "cli", "monitoring", "system"])),
                name="audit_channel_valid",
            ),
        ),
    ]
