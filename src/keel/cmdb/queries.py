"""Reads on the CMDB."""

from keel.cmdb.models import ConfigurationItem, Service
from keel.lib.references import by_reference


def service_by_reference(reference: str | int) -> Service:
    return by_reference(
        Service.objects.all(),
        reference,
        key="name",
        field="service",
        what="service",
        give="a service id or its exact name",
    )


def ci_by_reference(reference: str | int) -> ConfigurationItem:
    return by_reference(
        ConfigurationItem.objects.all(),
        reference,
        key="name",
        field="ci",
        what="configuration item",
        give="a CI id or its exact name",
    )
