"""Every page carries the Content-Security-Policy: Keel's own scripts, styles and images only, no
inline script, no framing; the API docs page too, served from Keel's static files."""

from collections.abc import Callable

import pytest
from django.test import Client

from keel.accounts.models import User
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_of(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize(
    "path", ["/sign-in/", "/incidents/", "/incidents/new/", "/cmdb/", "/audit/", "/admin/", "/api/v1/docs"]
)
def test_every_page_carries_the_policy(admin_user: User, path: str) -> None:
    client = Client()
    assert client.login(username=admin_user.username, password=PASSWORD)

    answer = client.get(path)

    assert answer.status_code == 200
    assert policy_of(answer["Content-Security-Policy"]) == POLICY


def test_the_api_docs_use_keels_own_swagger_ui(admin_user: User, api: Callable[[User], ApiClient]) -> None:
    page = Client().get("/api/v1/docs").content.decode()
    json = api(admin_user).get("/incidents")

    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in page
    assert "cdn" not in page.lower()
    assert "'unsafe-inline'" not in json["Content-Security-Policy"]
