"""The names each CI goes by (``CIName``), kept in step with its name and aliases by every CMDB
write; monitoring looks CIs up by them (``queries.cis_named``)."""

from collections.abc import Sequence

from keel.cmdb.models import CIName, ConfigurationItem


def names_of(ci: ConfigurationItem) -> set[str]:
    return {ci.name, *(alias.strip() for alias in ci.aliases if alias.strip())}


def sync_names(cis: Sequence[ConfigurationItem]) -> None:
    """Rewrite the name rows of these (saved) CIs from their name and aliases."""
    if not cis:
        return
    CIName.objects.filter(ci__in=[ci.pk for ci in cis]).delete()
    CIName.objects.bulk_create(CIName(ci_id=ci.pk, name=name[:200]) for ci in cis for name in sorted(names_of(ci)))
