from django.db import migrations

# What a new Keel does with alerts until someone writes their own rules (all editable).
DEFAULT_RULES = [
    {
        "name": "Critical and error alerts open an incident at once",
        "position": 100,
        "severities": ["critical", "error"],
    },
    {
        "name": "Warnings open an incident after firing for 10 minutes",
        "position": 200,
        "severities": ["warning"],
        "min_firing_s": 600,
    },
    {
        "name": "Info alerts are recorded only",
        "position": 300,
        "severities": ["info"],
        "opens_incident": False,
    },
]


def seed(apps, schema_editor):
    CorrelationRule = apps.get_model("integrations", "CorrelationRule")
    for rule in DEFAULT_RULES:
        CorrelationRule.objects.get_or_create(name=rule["name"], defaults=rule)


def unseed(apps, schema_editor):
    CorrelationRule = apps.get_model("integrations", "CorrelationRule")
    CorrelationRule.objects.filter(name__in=[rule["name"] for rule in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
