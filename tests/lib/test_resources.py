"""The routes ``lib.resources`` builds are named as hand-written ones would be."""

from collections import Counter

from keel.config.api import api


def _operation_ids() -> list[str]:
    schema = api.get_openapi_schema()
    return [operation["operationId"] for path in schema["paths"].values() for operation in path.values()]


def test_a_built_route_is_named_in_the_module_that_built_it() -> None:
    names = set(_operation_ids())

    assert {"keel_cmdb_api_read_ci", "keel_sla_api_create_policy", "keel_integrations_api_setup_list_rules"} <= names


def test_no_two_routes_share_an_operation_id() -> None:
    assert [name for name, count in Counter(_operation_ids()).items() if count > 1] == []
