"""The routes ``lib.resources`` builds are named as hand-written ones would be."""

import sys
from collections import Counter

from pydantic import BaseModel

from keel.config.api import api


def _operation_ids() -> list[str]:
    schema = api.get_openapi_schema()
    return [operation["operationId"] for path in schema["paths"].values() for operation in path.values()]


def test_a_built_route_is_named_in_the_module_that_built_it() -> None:
    names = set(_operation_ids())

    assert {"keel_cmdb_api_read_ci", "keel_sla_api_create_policy", "keel_integrations_api_setup_list_rules"} <= names


def test_no_two_routes_share_an_operation_id() -> None:
    assert [name for name, count in Counter(_operation_ids()).items() if count > 1] == []


def test_no_two_schemas_share_a_name() -> None:
    # The OpenAPI document names each schema by its class alone: two classes of one name (two apps'
    # RulePatch) would be documented as one, and clients would send the wrong fields.
    api.get_openapi_schema()
    classes = {
        cls
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith("keel.")
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__.startswith("keel.")
    }
    names = Counter(cls.__name__ for cls in classes)

    assert [name for name, count in names.items() if count > 1] == []
