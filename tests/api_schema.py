"""Holding an answer to the OpenAPI schema its endpoint declares (DESIGN §4.8): an endpoint that
writes its answer as raw bytes skips django-ninja's own check, so its tests do it instead.

    assert_matches_openapi(response, "/api/v1/incidents/{number}", "get", 200)

The schema is read from ``/api/v1/openapi.json`` as clients read it, ``$ref``s and all, and the
answer validated with a JSON Schema Draft 2020-12 validator (OpenAPI 3.1's dialect).
"""

from functools import cache
from typing import Any

import orjson
from django.http import HttpResponse
from django.test import Client
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI_URL = "/api/v1/openapi.json"
_DOCUMENT = "urn:keel:openapi"


@cache
def openapi() -> dict[str, Any]:
    """The published schema (the same for every test of a run: it is built from the code)."""
    response = Client().get(OPENAPI_URL)
    assert response.status_code == 200, response.content[:300]
    return dict(orjson.loads(response.content))


def answer_schema(path: str, method: str, status: int) -> dict[str, Any]:
    """The JSON schema the endpoint declares for this status, as written (its ``$ref``s unresolved)."""
    operation = openapi()["paths"].get(path, {}).get(method.lower())
    assert operation is not None, f"The API declares no {method.upper()} {path}."
    answer = operation["responses"].get(str(status))
    assert answer is not None, (
        f"{method.upper()} {path} declares no {status} answer, only {sorted(operation['responses'])}."
    )
    return dict(answer["content"]["application/json"]["schema"])


@cache
def _validator(path: str, method: str, status: int) -> Draft202012Validator:
    document = Resource.from_contents(openapi(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_DOCUMENT, document)
    # The answer's "#/components/…" references mean the published document's, not its own.
    schema = _rebased(answer_schema(path, method, status))
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _rebased(node: Any) -> Any:
    """``#/…`` references made absolute (into the published document), at any depth."""
    if isinstance(node, dict):
        return {
            key: f"{_DOCUMENT}{value}" if key == "$ref" and str(value).startswith("#") else _rebased(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebased(item) for item in node]
    return node


def assert_matches_openapi(response: HttpResponse, path: str, method: str, status: int) -> None:
    """The response has ``status`` and a JSON body valid against what ``method path`` declares for it."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = orjson.loads(response.content)
    error = best_match(_validator(path, method, status).iter_errors(body))
    assert error is None, (
        f"{method.upper()} {path} answered {status} with a body its schema refuses, at "
        f"{'/'.join(map(str, error.absolute_path)) or 'the top'}: {error.message}"
    )
