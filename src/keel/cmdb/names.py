"""The names each CI goes by (``CIName``): kept in step with names and aliases by every CMDB write,
and looked up by monitoring (``cis_named``)."""

from collections.abc import Iterable, Sequence

from keel.cmdb.models import CIName, ConfigurationItem
from keel.lib.sql import fetch, in_values


def names_of(ci: ConfigurationItem) -> set[str]:
    return {ci.name, *(alias.strip() for alias in ci.aliases if alias.strip())}


def sync_names(cis: Sequence[ConfigurationItem]) -> None:
    """Rewrite the name rows of these (saved) CIs from their name and aliases."""
    if not cis:
        return
    CIName.objects.filter(ci__in=[ci.pk for ci in cis]).delete()
    CIName.objects.bulk_create(CIName(ci_id=ci.pk, name=name[:200]) for ci in cis for name in sorted(names_of(ci)))


def cis_named(names: Iterable[str]) -> dict[str, int]:
    """{name: CI id} for the names some CI goes by (its name first, else the lowest id with that alias)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    condition, params = in_values("n.name", wanted)
    rows = fetch(
        f"SELECT n.name, n.ci_id, n.name = c.name FROM {CIName._meta.db_table} n "
        f"JOIN {ConfigurationItem._meta.db_table} c ON c.id = n.ci_id WHERE {condition} ORDER BY n.ci_id",
        params,
    )
    found: dict[str, int] = {}
    for name, ci_id, own in rows:
        if own or name not in found:
            found[name] = ci_id
    return found
