"""Shared fixtures: people of every role, teams, and an API client that speaks Bearer tokens."""

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.test import Client

from keel.accounts.actions import add_team_member, create_user, ensure_team, issue_api_token
from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.cmdb.actions.records import create_ci, ensure_default_ci_types
from keel.cmdb.actions.relationships import relate
from keel.cmdb.models import CIType, ConfigurationItem
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.states import Level

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def service_desk(db: None) -> Team:
    return ensure_team(slug="service-desk", name="Service Desk")


@pytest.fixture
def network_team(db: None) -> Team:
    return ensure_team(slug="network", name="Network")


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str, role: Role, *, team: Team | None = None, **fields: Any) -> User:
        user = create_user(username=username, role=role, password=PASSWORD, name=username.title(), **fields)
        if team is not None:
            add_team_member(team, user)
        return user

    return make


@pytest.fixture
def requester(make_user: Callable[..., User]) -> User:
    return make_user("rita", Role.REQUESTER)


@pytest.fixture
def other_requester(make_user: Callable[..., User]) -> User:
    return make_user("otto", Role.REQUESTER)


@pytest.fixture
def agent(make_user: Callable[..., User], service_desk: Team) -> User:
    return make_user("alice", Role.AGENT, team=service_desk)


@pytest.fixture
def resolver(make_user: Callable[..., User], network_team: Team) -> User:
    return make_user("nick", Role.RESOLVER, team=network_team)


@pytest.fixture
def outsider_resolver(make_user: Callable[..., User], db: None) -> User:
    return make_user("dora", Role.RESOLVER, team=ensure_team(slug="database", name="Database"))


@pytest.fixture
def incident_manager(make_user: Callable[..., User]) -> User:
    return make_user("imogen", Role.INCIDENT_MANAGER)


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user("root", Role.ADMIN)


@pytest.fixture
def incident(agent: User, requester: User) -> Incident:
    """A new incident logged by the service desk for the requester."""
    return open_incident(
        actor=agent, caller=requester, title="Outlook cannot connect", impact=Level.MEDIUM, urgency=Level.HIGH
    )


class ApiClient:
    """Django's test client with a Bearer token and JSON bodies."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {issue_api_token(user).raw}"}

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(f"/api/v1{path}", headers={**self.headers, **(headers or {})})

    def post(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"/api/v1{path}", body or {}, content_type="application/json", headers={**self.headers, **(headers or {})}
        )

    def patch(self, path: str, body: Any, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(
            f"/api/v1{path}", body, content_type="application/json", headers={**self.headers, **(headers or {})}
        )

    def delete(self, path: str, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(f"/api/v1{path}", headers={**self.headers, **(headers or {})})


@pytest.fixture
def api() -> Callable[[User], ApiClient]:
    return ApiClient


# --- a tiny CMDB builder: CIs by name, relationships as "a depends_on b" strings -----------------


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
