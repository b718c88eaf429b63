"""CMDB vocabulary as data: CI statuses, environments, criticality, relationship kinds.

``NEEDS_TARGET`` says which way a relationship carries failure; impact analysis reads it (see
``impact.py``). No ORM here beyond the choices classes.
"""

from typing import Final

from django.db import models


class CIStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_SERVICE = "in_service", "In service"
    MAINTENANCE = "maintenance", "In maintenance"
    RETIRED = "retired", "Retired"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    TEST = "test", "Test"
    DEVELOPMENT = "development", "Development"


class Criticality(models.IntegerChoices):
    """How much the business suffers when it fails. 1 is the most critical, so sorting puts it first."""

    CRITICAL = 1, "1 – critical"
    HIGH = 2, "2 – high"
    MEDIUM = 3, "3 – medium"
    LOW = 4, "4 – low"
    MINIMAL = 5, "5 – minimal"


class RelationshipKind(models.TextChoices):
    """``source <kind> target``: checkout-api depends_on payments-db, a disk part_of a storage cluster."""

    DEPENDS_ON = "depends_on", "depends on"
    RUNS_ON = "runs_on", "runs on"
    HOSTED_ON = "hosted_on", "hosted on"
    CONNECTS_TO = "connects_to", "connects to"
    PART_OF = "part_of", "part of"


# For these kinds the source needs the target (if the target fails, the source suffers). For
# part_of it is the other way round: the whole (target) needs its parts (source).
NEEDS_TARGET: Final = frozenset(
    {RelationshipKind.DEPENDS_ON, RelationshipKind.RUNS_ON, RelationshipKind.HOSTED_ON, RelationshipKind.CONNECTS_TO}
)
WHOLE_NEEDS_PART: Final = frozenset({RelationshipKind.PART_OF})

# The CI types every CMDB starts with (slug, name); more can be added as data.
DEFAULT_CI_TYPES: Final = (
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
BUSINESS_SERVICE_TYPE: Final = "business-service"

# What the API, the CSV files and the audit trail call a model field, where it is not the field's name.
FIELD_NAMES: Final = {"ci_type": "type"}
FIELD_OF_NAME: Final = {shown: name for name, shown in FIELD_NAMES.items()}


def ends(source_id: int, target_id: int, kind: str) -> tuple[int, int]:
    """(needer, needed) of ``source <kind> target``: which CI suffers when the other fails."""
    return (target_id, source_id) if kind in WHOLE_NEEDS_PART else (source_id, target_id)
