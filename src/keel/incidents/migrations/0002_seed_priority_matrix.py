from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# A frozen copy of the ITIL default (states.DEFAULT_PRIORITY_MATRIX): migrations never import app code.
ITIL_DEFAULT = [(1, 1, 1), (1, 2, 2), (2, 1, 2), (1, 3, 3), (2, 2, 3), (3, 1, 3), (2, 3, 4), (3, 2, 4), (3, 3, 5)]


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    rule = apps.get_model("incidents", "PriorityRule")
    for impact, urgency, priority in ITIL_DEFAULT:
        rule.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
