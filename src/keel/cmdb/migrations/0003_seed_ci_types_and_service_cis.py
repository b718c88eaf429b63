"""Give every CI a type and every service a CI in the graph, from what the minimal CMDB held.

The default CI types are seeded; a CI's free-text ``kind`` becomes the type with that slug (created
if unknown). A service gets a CI of type business-service with its name (or a free variant), and each
CI that named the service becomes a dependency of it, so impact analysis finds the service.
"""

from typing import Any

from django.db import migrations
from django.utils.text import slugify

DEFAULT_CI_TYPES = (
    ("business-service", "Business service"),
    ("application", "Application"),
    ("database", "Database"),
    ("server", "Server"),
    ("virtual-machine", "Virtual machine"),
    ("storage", "Storage"),
    ("network-device", "Network device"),
    ("load-balancer", "Load balancer"),
    ("cluster", "Cluster"),
    ("workstation", "Workstation"),
)


def forwards(apps: Any, schema_editor: Any) -> None:
    ci_type_model = apps.get_model("cmdb", "CIType")
    ci_model = apps.get_model("cmdb", "ConfigurationItem")
    service_model = apps.get_model("cmdb", "Service")
    relationship_model = apps.get_model("cmdb", "Relationship")
    for slug, name in DEFAULT_CI_TYPES:
        ci_type_model.objects.get_or_create(slug=slug, defaults={"name": name})
    for ci in ci_model.objects.filter(ci_type__isnull=True):
        slug = slugify(ci.kind) or "application"
        ci.ci_type, _ = ci_type_model.objects.get_or_create(slug=slug, defaults={"name": ci.kind.capitalize()})
        ci.save(update_fields=["ci_type"])
    service_type = ci_type_model.objects.get(slug="business-service")
    for service in service_model.objects.filter(ci__isnull=True):
        name = service.name
        while ci_model.objects.filter(name=name).exists():
            name = f"{name} (service)"
        service.ci = ci_model.objects.create(name=name, ci_type=service_type, description=service.description)
        service.save(update_fields=["ci"])
        for ci in ci_model.objects.filter(service=service):
            relationship_model.objects.get_or_create(
                source=service.ci, target=ci, kind="depends_on", defaults={"needer": service.ci, "needed": ci}
            )


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0002_ci_types_relationships_services")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
