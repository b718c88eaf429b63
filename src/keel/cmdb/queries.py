"""Reads on the CMDB."""

from keel.cmdb.models import ConfigurationItem, Service
from keel.lib.errors import InvalidInput


def service_by_reference(reference: str | int) -> Service:
    lookup = {"pk": int(reference)} if str(reference).isdigit() else {"name": reference}
    service = Service.objects.filter(**lookup).first()
    if service is None:
        raise InvalidInput(f"No service {reference!r}; give a service id or its exact name.", field="service")
    return service


def ci_by_reference(reference: str | int) -> ConfigurationItem:
    lookup = {"pk": int(reference)} if str(reference).isdigit() else {"name": reference}
    ci = ConfigurationItem.objects.filter(**lookup).first()
    if ci is None:
        raise InvalidInput(f"No configuration item {reference!r}; give a CI id or its exact name.", field="ci")
    return ci
