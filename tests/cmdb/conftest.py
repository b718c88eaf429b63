"""A tiny CMDB builder: CIs by name, relationships as 'a depends_on b' strings."""

from collections.abc import Callable, Sequence

import pytest

from keel.accounts.models import User
from keel.accounts.roles import Role
from keel.cmdb.actions import create_ci, ensure_default_ci_types, relate
from keel.cmdb.models import CIType, ConfigurationItem


@pytest.fixture
def ci_types(db: None) -> dict[str, CIType]:
    return ensure_default_ci_types()


@pytest.fixture
def config_manager(make_user: Callable[..., User]) -> User:
    return make_user("connie", Role.CONFIGURATION_MANAGER)


Graph = dict[str, ConfigurationItem]


@pytest.fixture
def build_graph(ci_types: dict[str, CIType]) -> Callable[[Sequence[str]], Graph]:
    """``build_graph(["a depends_on b", "b runs_on c"])`` → {name: CI}, creating CIs as they are named."""

    def build(edges: Sequence[str]) -> Graph:
        cis: Graph = {}
        for edge in edges:
            source, kind, target = edge.split()
            for name in (source, target):
                if name not in cis:
                    cis[name] = create_ci(actor=None, name=name, ci_type=ci_types["server"])
            relate(actor=None, source=cis[source], target=cis[target], kind=kind)
        return cis

    return build
