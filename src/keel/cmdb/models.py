from django.db import models


class Service(models.Model):
    """A business or technical service that users consume (e-mail, online shop, VPN…).

    Incidents name the service whose quality they reduce. The CMDB issue extends this with user
    counts, criticality and its place in the dependency graph.
    """

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(models.Model):
    """A configuration item (CI): anything we manage whose failure can cause an incident."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=60, blank=True, help_text="Server, database, application, network device…")
    description = models.TextField(blank=True)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="cis")

    class Meta:
        ordering = ["name"]
        verbose_name = "configuration item"

    def __str__(self) -> str:
        return self.name
