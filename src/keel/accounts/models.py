import hashlib
import zoneinfo
from functools import cached_property
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from keel.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from keel.lib.text import DESCRIPTION_MAX


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}; use an IANA name such as 'Europe/Paris'.")


class KeelUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> "User":
        """``keel createsuperuser`` makes an administrator: in Keel, what someone may do comes from the role."""
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who uses Keel: an end user reporting incidents, or IT staff working them.

    What they may do comes from ``role`` alone (``roles.ROLE_CAPABILITIES``); Django's ``is_staff``
    and ``is_superuser`` are not read (the admin lets people in by capability).
    """

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_vip = models.BooleanField("VIP", default=False)
    department = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=100, blank=True, help_text="Site or office, e.g. Paris HQ.")
    away_until = models.DateTimeField(
        null=True, blank=True, help_text="Out of office until then: routing gives them no incidents."
    )
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.REQUESTER)

    objects: ClassVar[KeelUserManager] = KeelUserManager()

    class Meta:
        ordering = ["name", "username"]
        constraints = [models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid")]

    def __str__(self) -> str:
        return self.name or self.username

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.username

    @property
    def capabilities(self) -> frozenset[Capability]:
        if not self.is_active:
            return frozenset()
        return ROLE_CAPABILITIES[Role(self.role)]

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @cached_property
    def team_ids(self) -> frozenset[int]:
        """Assignment groups this person works for, as a member or as the manager (one query, cached)."""
        rows = Team.objects.filter(models.Q(members=self) | models.Q(manager=self)).values_list("pk", flat=True)
        return frozenset(rows)

    @property
    def is_staff_member(self) -> bool:
        """IT staff (anyone who sees all incidents), as opposed to an end user."""
        return self.can(Capability.VIEW_ALL_INCIDENTS)


class Team(models.Model):
    """An assignment group: the team whose queue an incident sits in (service desk, network, DBAs…)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX)])
    email = models.EmailField(blank=True)
    manager = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams")
    members = models.ManyToManyField(User, blank=True, related_name="teams")
    escalates_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The next tier: where an agent escalates an incident this group cannot solve.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise the token in lists.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class SignInFailure(models.Model):
    """A failed sign-in, counted for throttling (``throttling.py``) while it is in the window, then
    forgotten. One row per counter it adds to, under that counter's keyed hash."""

    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"], name="sign_in_failure_key_at"),
            models.Index(fields=["at"], name="sign_in_failure_at"),  # forgetting the old ones
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]}… at {self.at.isoformat()}"
