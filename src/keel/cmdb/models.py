from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from keel.audit.models import Versioned
from keel.cmdb.kinds import WHOLE_NEEDS_PART, CIStatus, Criticality, Environment, RelationshipKind
from keel.lib.text import DESCRIPTION_MAX


def validate_aliases(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(alias, str) and alias.strip() for alias in value):
        raise ValidationError('Give aliases as a list of names, e.g. ["db7", "db7.example.com"].')


def validate_attributes(value: object) -> None:
    if not isinstance(value, dict):
        raise ValidationError('Give attributes as an object of name → value, e.g. {"os": "Debian 13"}.')


class CIType(Versioned):
    """A kind of configuration item (server, database, application, network device…), kept as data."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX)])

    class Meta:
        ordering = ["name"]
        verbose_name = "CI type"

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(Versioned):
    """A configuration item (CI): anything we manage whose failure can cause an incident."""

    name = models.CharField(max_length=200, unique=True)
    ci_type = models.ForeignKey(CIType, on_delete=models.PROTECT, related_name="cis", verbose_name="type")
    aliases = models.JSONField(
        default=list, blank=True, validators=[validate_aliases], help_text="Other names and host names it is known by."
    )
    status = models.CharField(max_length=16, choices=CIStatus.choices, default=CIStatus.IN_SERVICE)
    environment = models.CharField(max_length=16, choices=Environment.choices, default=Environment.PRODUCTION)
    criticality = models.PositiveSmallIntegerField(choices=Criticality.choices, default=Criticality.MEDIUM)
    owner_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_cis"
    )
    support_group = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="supported_cis"
    )
    location = models.CharField(max_length=200, blank=True)
    attributes = models.JSONField(
        default=dict, blank=True, validators=[validate_attributes], help_text='Free attributes: {"os": "Debian 13"}.'
    )
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX)])

    class Meta:
        ordering = ["name"]
        verbose_name = "configuration item"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CIStatus.values), name="ci_status_valid"),
            models.CheckConstraint(condition=Q(environment__in=Environment.values), name="ci_environment_valid"),
            models.CheckConstraint(condition=Q(criticality__gte=1, criticality__lte=5), name="ci_criticality_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class CIName(models.Model):
    """A name a CI goes by (its own, and each alias), indexed: what monitoring labels are matched on.

    Derived from ``ConfigurationItem.name`` and ``aliases`` by the CMDB's writes
    (``actions.names.sync_names``); a JSON list cannot be searched by index on both databases.
    """

    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="+", db_index=False)
    name = models.CharField(max_length=200, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ci", "name"], name="ci_name_unique")]

    def __str__(self) -> str:
        return self.name


class Relationship(Versioned):
    """A typed edge of the CMDB graph: ``source <kind> target`` (checkout-api depends on payments-db).

    ``needer`` and ``needed`` say the same thing the way failure travels (``kinds.ends``): if the
    needed CI fails, the needer suffers. They are derived from source, target and kind (a check
    constraint keeps them so) because the impact walk then probes one index per step instead of an
    OR of two, a fraction of the time (bench/README.md).
    """

    source = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="incoming")
    kind = models.CharField(max_length=16, choices=RelationshipKind.choices)
    needer = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="+", db_index=False)
    needed = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        ordering = ["source", "kind", "target"]
        # The walk upstream follows needed → needer, downstream needer → needed: covering indexes.
        indexes = [
            models.Index(fields=["needed", "needer"], name="relationship_needed"),
            models.Index(fields=["needer", "needed"], name="relationship_needer"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "target"], name="relationship_unique"),
            models.CheckConstraint(condition=Q(kind__in=RelationshipKind.values), name="relationship_kind_valid"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="relationship_not_to_itself"),
            models.CheckConstraint(
                condition=Q(kind__in=sorted(WHOLE_NEEDS_PART), needer=models.F("target"), needed=models.F("source"))
                | (~Q(kind__in=sorted(WHOLE_NEEDS_PART)) & Q(needer=models.F("source"), needed=models.F("target"))),
                name="relationship_ends_follow_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {RelationshipKind(self.kind).label} {self.target}"


class Service(Versioned):
    """A business service that users consume (e-mail, online shop, VPN…).

    Incidents name the service whose quality they reduce. Its CI places it in the dependency graph,
    so impact analysis finds the services a failing component takes down, and how many users they serve.
    """

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX)])
    owner_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL)
    ci = models.OneToOneField(
        ConfigurationItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="business_service",
        verbose_name="configuration item",
        help_text="The CI that stands for this service in the dependency graph.",
    )
    users = models.PositiveIntegerField(default=0, help_text="How many people use it.")
    criticality = models.PositiveSmallIntegerField(
        "business criticality", choices=Criticality.choices, default=Criticality.MEDIUM
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(criticality__gte=1, criticality__lte=5), name="service_criticality_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name
