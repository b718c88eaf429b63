"""CSV in the console: configuration managers upload a file (counts, or every bad line and nothing
written); everyone signed in downloads. The same transfer code as the API and the CLI."""

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from keel.accounts.models import User
from keel.cmdb.models import CIType, ConfigurationItem, Relationship
from tests.conftest import PASSWORD, Graph

pytestmark = pytest.mark.django_db

Build = Callable[[Sequence[str]], Graph]
CIS = "name,type,criticality,aliases\nweb-01,server,2,www;www.example.com\ndb-01,database,1,\n"


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client: Client, what: str, content: bytes | str, name: str = "import.csv") -> Any:
    body = content.encode() if isinstance(content, str) else content
    return client.post("/cmdb/csv/", {"what": what, "file": SimpleUploadedFile(name, body, "text/csv")})


def test_a_configuration_manager_imports_cis_and_sees_the_counts(
    config_manager: User, ci_types: dict[str, CIType]
) -> None:
    client = signed_in(config_manager)

    first = upload(client, "cis", "\ufeff" + CIS)
    shown = client.get(first["Location"]).content.decode()
    again = client.get(upload(client, "cis", CIS)["Location"]).content.decode()

    web = ConfigurationItem.objects.get(name="web-01")
    assert (first.status_code, first["Location"]) == (302, "/cmdb/csv/")
    assert "Imported the CIs: 2 created, 0 updated, 0 unchanged." in shown
    assert "Imported the CIs: 0 created, 0 updated, 2 unchanged." in again
    assert (web.criticality, web.aliases) == (2, ["www", "www.example.com"])


def test_relationships_are_imported_by_ci_name(config_manager: User, build_graph: Build) -> None:
    build_graph(["web depends_on db", "db runs_on disk"])
    client = signed_in(config_manager)

    answer = upload(client, "relationships", "source,kind,target\nweb,runs_on,disk\nweb,depends_on,db\n")

    assert (
        "Imported the relationships: 1 created, 0 updated, 1 unchanged."
        in client.get(answer["Location"]).content.decode()
    )
    assert Relationship.objects.filter(source__name="web", kind="runs_on", target__name="disk").exists()


def test_bad_lines_are_listed_by_number_and_nothing_is_written(
    config_manager: User, ci_types: dict[str, CIType]
) -> None:
    text = "name,type,criticality\nok-01,server,3\nx-01,gadget,3\ny-01,server,9\n"

    page = upload(signed_in(config_manager), "cis", text)

    html = page.content.decode()
    assert page.status_code == 400
    assert "Nothing was imported: 2 bad CI row(s). Line 3: no type &#x27;gadget&#x27;" in html
    assert (
        '<td data-label="Line" class="num cell-labelled">3</td><td data-label="Column" class="cell-labelled">type</td>'
        in html
    )
    assert "No type &#x27;gadget&#x27;; give a CI type slug such as &#x27;server&#x27;." in html
    assert '<td data-label="Line" class="num cell-labelled">4</td>' in html
    assert "Criticality must be one of 1, 2, 3, 4, 5 (got &#x27;9&#x27;)." in html
    assert not ConfigurationItem.objects.exists()


@pytest.mark.parametrize(
    ("what", "content", "message"),
    [
        ("cis", "name,colour\nweb-01,blue\n", "Line 1 must be the header: columns name, type"),
        ("cis", "name,type\ncafé,server\n".encode("latin-1"), "Line 2 is not UTF-8 text; save the CSV as UTF-8."),
        (
            "relationships",
            "source,kind,target\nweb-01,loves,db-01\n",
            "Nothing was imported: 1 bad relationship row(s).",
        ),
    ],
    ids=["bad-header", "not-utf8", "bad-kind"],
)
def test_a_file_that_cannot_be_read_says_why(
    config_manager: User, ci_types: dict[str, CIType], what: str, content: str | bytes, message: str
) -> None:
    page = upload(signed_in(config_manager), what, content)

    assert page.status_code == 400
    assert message in page.content.decode()
    assert not ConfigurationItem.objects.exists()


def test_the_form_asks_for_a_file_and_what_it_holds(config_manager: User) -> None:
    page = signed_in(config_manager).post("/cmdb/csv/", {})

    html = page.content.decode()
    assert page.status_code == 400
    assert "Choose a CSV file to import." in html
    assert "Say whether the file holds configuration items or relationships." in html


def test_everyone_signed_in_downloads_the_csv(requester: User, build_graph: Build) -> None:
    build_graph(["web depends_on db"])
    client = signed_in(requester)

    page = client.get("/cmdb/csv/").content.decode()
    cis = client.get("/cmdb/csv/cis.csv")
    relationships = client.get("/cmdb/csv/relationships.csv")

    assert 'href="/cmdb/csv/cis.csv"' in page
    assert 'href="/cmdb/csv/relationships.csv"' in page
    assert 'type="file"' not in page
    assert "Only configuration managers and administrators import into the CMDB." in page
    assert cis["Content-Disposition"] == 'attachment; filename="cis.csv"'
    assert b"".join(cis.streaming_content).decode().splitlines()[1:] == [
        "web,server,in_service,production,3,,,,,,",
        "db,server,in_service,production,3,,,,,,",
    ]
    assert b"".join(relationships.streaming_content).decode().splitlines() == [
        "source,kind,target",
        "web,depends_on,db",
    ]
    assert client.get("/cmdb/csv/teams.csv").status_code == 404


@pytest.mark.parametrize("role_fixture", ["requester", "agent", "resolver", "incident_manager"])
def test_only_configuration_managers_import(
    request: pytest.FixtureRequest, role_fixture: str, ci_types: dict[str, CIType]
) -> None:
    answer = upload(signed_in(request.getfixturevalue(role_fixture)), "cis", CIS)

    assert answer.status_code == 403
    assert not ConfigurationItem.objects.exists()


def test_signing_in_is_needed(ci_types: dict[str, CIType]) -> None:
    assert Client().get("/cmdb/csv/").status_code == 302
    assert Client().get("/cmdb/csv/cis.csv").status_code == 302
    assert upload(Client(), "cis", CIS).status_code == 302
    assert not ConfigurationItem.objects.exists()
