"""Attaching files to an incident through the API: multipart, the console's size and type rules,
the same people, listed and downloaded by those who may see them."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from keel.accounts.models import User
from keel.activity.models import Attachment
from keel.audit.models import AuditRecord
from keel.incidents.models import Incident
from tests.api_schema import assert_matches_openapi
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def attach(client: ApiClient, incident: Incident, name: str, content: bytes, **fields: str) -> Any:
    upload = SimpleUploadedFile(name, content)
    return client.client.post(
        f"/api/v1/incidents/{incident.number}/attachments", {"file": upload, **fields}, headers=client.headers
    )


def test_a_file_is_attached_listed_and_downloaded(
    api: Callable[[User], ApiClient], agent: User, incident: Incident
) -> None:
    client = api(agent)

    response = attach(client, incident, "trace.txt", b"ping timeout")
    listed = client.get(f"/incidents/{incident.number}/attachments")
    download = client.get(response["Location"].removeprefix("/api/v1"))

    assert_matches_openapi(response, "/api/v1/incidents/{number}/attachments", "post", 201)
    assert_matches_openapi(listed, "/api/v1/incidents/{number}/attachments", "get", 200)
    attachment = Attachment.objects.get()
    assert response["Location"] == f"/api/v1/incidents/{incident.number}/attachments/{attachment.pk}"
    body = response.json()
    assert (body["filename"], body["content_type"], body["size"], body["public"]) == (
        "trace.txt",
        "text/plain",
        12,
        True,
    )
    assert body["uploaded_by"]["username"] == agent.username
    assert listed.json() == [body]
    assert (download.status_code, download["Content-Type"]) == (200, "application/octet-stream")
    assert download["Content-Disposition"] == 'attachment; filename="trace.txt"'
    assert b"".join(download.streaming_content) == b"ping timeout"
    assert AuditRecord.objects.filter(subject_type="incident", subject_id=incident.pk, field="attachment").count() == 1


# (file name, content, what the refusal says)
TOO_MUCH = [("setup.exe", b"MZ", "setup.exe is of type"), ("big.txt", b"x" * 11, "attachments may be at most 10 bytes")]


@pytest.mark.parametrize(("name", "content", "fragment"), TOO_MUCH)
def test_the_consoles_limits_apply(
    api: Callable[[User], ApiClient],
    agent: User,
    incident: Incident,
    settings: Any,
    *,
    name: str,
    content: bytes,
    fragment: str,
) -> None:
    settings.KEEL_ATTACHMENT_MAX_BYTES = 10

    response = attach(api(agent), incident, name, content)

    assert (response.status_code, response.json()["field"]) == (400, "file")
    assert fragment in response.json()["message"]
    assert not Attachment.objects.exists()


def test_a_request_without_a_file_is_400(api: Callable[[User], ApiClient], agent: User, incident: Incident) -> None:
    client = api(agent)

    response = client.client.post(f"/api/v1/incidents/{incident.number}/attachments", {}, headers=client.headers)

    assert response.status_code == 400
    assert response.json()["field"] == "file"


def test_the_caller_attaches_to_their_own_incident_but_not_to_anothers(
    api: Callable[[User], ApiClient], requester: User, other_requester: User, incident: Incident
) -> None:
    own = attach(api(requester), incident, "screen.png", b"\x89PNG")
    other = attach(api(other_requester), incident, "screen.png", b"\x89PNG")

    assert (own.status_code, other.status_code) == (201, 404)
    assert Attachment.objects.count() == 1


def test_only_staff_attach_work_note_files_and_only_staff_see_them(
    api: Callable[[User], ApiClient], agent: User, requester: User, incident: Incident
) -> None:
    private = attach(api(agent), incident, "dump.txt", b"internal", public="false")
    refused = attach(api(requester), incident, "mine.txt", b"mine", public="false")

    seen = api(requester).get(f"/incidents/{incident.number}/attachments")
    fetched = api(requester).get(private["Location"].removeprefix("/api/v1"))

    assert (private.status_code, private.json()["public"], refused.status_code) == (201, False, 403)
    assert (seen.json(), fetched.status_code) == ([], 404)


@pytest.mark.parametrize("attachment_id", ["999", "abc", "99999999999999999999999"])
def test_an_unknown_attachment_is_404(
    api: Callable[[User], ApiClient], agent: User, incident: Incident, attachment_id: str
) -> None:
    response = api(agent).get(f"/incidents/{incident.number}/attachments/{attachment_id}")

    assert response.status_code == 404
