"""The routes one kind of record has in the REST API — list, create, read, change, delete — built
from what differs between kinds (its lookup, document, schemas and actions), so no app writes the
same endpoint body again:

    resource = Resources(router, __name__, Access(read=user_of, write=user_of, once=idempotent))
    CIS = resource("/cis", one="ci", many="cis", find=get_ci, document=ci_json, out=CIOut, fields=_as_fields)
    CIS.creating(CIIn, records.create_ci_from)   # POST /cis → 201, Location, ETag; Idempotency-Key
    CIS.reading()                                 # GET /cis/{reference} → ETag
    CIS.changing(CIPatch, records.update_ci)     # PATCH, If-Match
    CIS.deleting(records.delete_ci)              # DELETE → 204, If-Match

The actions keep their usual shapes: ``create(*, actor, fields)``, ``change(record, *, actor,
changes, if_match)``, ``delete(record, *, actor, if_match)``. An endpoint is named as a hand-written
one would be (``read_ci`` in the calling module), which gives its operationId, summary and URL name.
An endpoint that does more than this (a check of its own, another answer) stays hand-written.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import GenericAlias
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import BaseModel

from keel.lib.api import IfMatchHeader, created, tagged

API_ROOT = "/api/v1"


class Tagged(Protocol):
    """A record the API answers about: it has an entity tag (what ETag and If-Match carry)."""

    @property
    def entity_tag(self) -> str: ...


type Document = dict[str, Any]
type Fields = Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class Access:
    """Who may read and who may write (each returns the request's user, or raises NotAllowed), and
    the decorator that lets a create take an Idempotency-Key."""

    read: Callable[[HttpRequest], Any]
    write: Callable[[HttpRequest], Any]
    once: Callable[[Callable[..., Any]], Callable[..., Any]]


@dataclass(frozen=True)
class Resources:
    """What an api module's resources share: its router, its name and who may do what."""

    router: Router
    module: str
    access: Access

    def __call__[R: Tagged](
        self,
        path: str,
        *,
        one: str,
        many: str,
        find: Callable[[Any], R],
        document: Callable[[R], Document],
        out: type[BaseModel],
        fields: Fields = dict,
        key: str = "pk",
        reference: type = str,
    ) -> "Resource[R]":
        return Resource(self, path, one, many, find, document, out, fields, key, reference)


@dataclass(frozen=True)
class Resource[R: Tagged]:
    """One kind of record at ``path`` (the collection; one record at ``path/{reference}``).

    ``find`` reads the record a path names (NotFound when none); ``fields`` turns a request's fields
    into what the actions take (references into records, API names into model fields); ``key`` is the
    attribute a new record's address is made of; ``reference`` the path parameter's type.
    """

    resources: Resources
    path: str
    one: str
    many: str
    find: Callable[[Any], R]
    document: Callable[[R], Document]
    out: type[BaseModel]
    fields: Fields
    key: str
    reference: type

    def listing(self, rows: Callable[[], Iterable[R]]) -> None:
        """``GET path``: every record ``rows`` gives, as documents."""

        def endpoint(request: HttpRequest) -> list[Document]:
            self.resources.access.read(request)
            return [self.document(row) for row in rows()]

        self._route("get", self.path, f"list_{self.many}", endpoint, GenericAlias(list, (self.out,)))

    def creating(self, schema: type[BaseModel], action: Callable[..., R]) -> None:
        """``POST path``: 201 with the new record, its address in Location and its tag in ETag."""

        def endpoint(request: HttpRequest, payload: BaseModel, response: HttpResponse) -> Status[Document]:
            actor = self.resources.access.write(request)
            record = action(actor=actor, fields=self.fields(payload.model_dump()))
            location = f"{API_ROOT}{self.path}/{getattr(record, self.key)}"
            return created(response, location, self.document(record), tag=record.entity_tag)

        self._route("post", self.path, f"create_{self.one}", endpoint, {201: self.out}, payload=schema, once=True)

    def reading(self) -> None:
        """``GET path/{reference}``: the record, its tag in ETag."""

        def endpoint(request: HttpRequest, reference: str, response: HttpResponse) -> Document:
            self.resources.access.read(request)
            return self.answer(response, self.find(reference))

        self._route("get", self.item, f"read_{self.one}", endpoint, self.out)

    def changing(self, schema: type[BaseModel], action: Callable[..., R], *, description: str | None = None) -> None:
        """``PATCH path/{reference}`` with the fields to change (If-Match guards against a lost update)."""

        def endpoint(
            request: HttpRequest,
            reference: str,
            payload: BaseModel,
            response: HttpResponse,
            if_match: IfMatchHeader = None,
        ) -> Document:
            actor = self.resources.access.write(request)
            record = self.find(reference)
            changes = self.fields(payload.model_dump(exclude_unset=True))
            return self.answer(response, action(record, actor=actor, changes=changes, if_match=if_match))

        self._route(
            "patch", self.item, f"patch_{self.one}", endpoint, self.out, payload=schema, description=description
        )

    def deleting(self, action: Callable[..., object]) -> None:
        """``DELETE path/{reference}``: 204 once the action has removed it."""

        def endpoint(request: HttpRequest, reference: str, if_match: IfMatchHeader = None) -> Status[None]:
            actor = self.resources.access.write(request)
            action(self.find(reference), actor=actor, if_match=if_match)
            return Status(204, None)

        self._route("delete", self.item, f"delete_{self.one}", endpoint, {204: None})

    def answer(self, response: HttpResponse, record: R) -> Document:
        """The record's document, its tag in ETag: what every answer about one record is."""
        return tagged(response, record.entity_tag, self.document(record))

    @property
    def item(self) -> str:
        return f"{self.path}/{{reference}}"

    def _route(
        self,
        method: str,
        path: str,
        name: str,
        endpoint: Callable[..., Any],
        response: Any,
        *,
        payload: type[BaseModel] | None = None,
        once: bool = False,
        description: str | None = None,
    ) -> None:
        """Add ``endpoint`` to the router under ``name``, with the schemas ninja reads from its
        annotations: this resource's payload and path parameter types in place of the generic ones."""
        endpoint.__name__ = endpoint.__qualname__ = name
        endpoint.__module__ = self.resources.module
        if payload is not None:
            endpoint.__annotations__["payload"] = payload
        if "reference" in endpoint.__annotations__:
            endpoint.__annotations__["reference"] = self.reference
        view = self.resources.access.once(endpoint) if once else endpoint
        self.resources.router.add_api_operation(
            path, [method.upper()], view, response=response, description=description
        )
