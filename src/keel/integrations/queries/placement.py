"""Placing alerts in the CMDB: which configuration item an alert is about, and which business service.

An alert's labels are tried in a fixed order (``CI_LABELS``) against CI names and aliases; an
``instance`` such as ``db1:9100`` is tried as ``db1`` too. Its business service is the one a label
names (``SERVICE_LABELS``), else the most critical business service that depends on its CI (the
upstream walk), so that alerts from many hosts behind one failing dependency share a service and
correlate into one incident.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from keel.cmdb.impact import Direction, impact_of
from keel.cmdb.models import ConfigurationItem, Service
from keel.cmdb.queries import cis_named

CI_LABELS: Final = (
    "ci",
    "host",
    "hostname",
    "instance",
    "node",
    "device",
    "server",
    "resource",
    "source",
    "service",
    "app",
    "job",
)
SERVICE_LABELS: Final = ("business_service", "service", "app")
# How far up the dependency graph to look for the business services a CI serves.
SERVICE_DEPTH: Final = 10


@dataclass(frozen=True)
class Placement:
    ci_id: int | None = None
    service_id: int | None = None


def candidate_names(labels: Mapping[str, str]) -> list[str]:
    """The names an alert's CI may go by, most telling first."""
    names: list[str] = []
    for label in CI_LABELS:
        value = str(labels.get(label, "")).strip()
        if not value:
            continue
        names.append(value)
        host = value.rsplit(":", 1)[0] if value.count(":") == 1 else ""
        if host and host != value:
            names.append(host)
    return list(dict.fromkeys(names))


def place(labels: Sequence[Mapping[str, str]]) -> list[Placement]:
    """Each label set's CI and business service, in a few queries for the whole sequence."""
    wanted = [candidate_names(one) for one in labels]
    named = cis_named({name for names in wanted for name in names})
    cis = ConfigurationItem.objects.in_bulk(set(named.values())) if named else {}
    service_names = {str(one.get(label, "")) for one in labels for label in SERVICE_LABELS} - {""}
    services = dict(Service.objects.filter(name__in=service_names).values_list("name", "pk")) if service_names else {}
    served: dict[int, int | None] = {}
    placements = []
    for one, names in zip(labels, wanted, strict=True):
        ci = next((cis[named[name]] for name in names if name in named), None)
        named_service = next(
            (services[v] for label in SERVICE_LABELS if (v := str(one.get(label, ""))) in services), None
        )
        if named_service is None and ci is not None and ci.pk not in served:
            served[ci.pk] = _top_service(ci)
        service = named_service if named_service is not None else served.get(ci.pk) if ci is not None else None
        placements.append(Placement(ci_id=ci.pk if ci is not None else None, service_id=service))
    return placements


def _top_service(ci: ConfigurationItem) -> int | None:
    """The most critical business service that depends on the CI (or that it stands for)."""
    services = [service for service, _ in impact_of(ci, direction=Direction.UP, depth=SERVICE_DEPTH).services]
    services.sort(key=lambda service: (service.criticality, -service.users, service.name))
    return services[0].pk if services else None
