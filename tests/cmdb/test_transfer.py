"""CSV import/export: round trip, idempotence, bad rows with line numbers and nothing written."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from keel.accounts.models import Team, User
from keel.audit.models import AuditRecord
from keel.cmdb.actions.transfer import import_cis, import_relationships
from keel.cmdb.models import CIType, ConfigurationItem, Relationship
from keel.cmdb.transfer import CI_COLUMNS, ImportRejected, ci_field, export_cis, export_relationships
from keel.lib.doors import Door, entering
from keel.lib.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db

CIS = """name,type,criticality,owner_team,aliases,attributes,location
payments-db,database,1,network,pay-db;pay-db.example.com,"{""engine"": ""postgres""}",Amsterdam DC1
checkout-api,application,2,,,,
storage-01,storage,,,,,
"""
RELATIONSHIPS = """source,kind,target
checkout-api,depends_on,payments-db
payments-db,hosted_on,storage-01
"""


def lines(text: str) -> list[str]:
    return StringIO(text).readlines()


def test_import_creates_cis_with_every_column(ci_types: dict[str, CIType], network_team: Team) -> None:
    result = import_cis(lines(CIS), actor=None)

    ci = ConfigurationItem.objects.get(name="payments-db")
    assert result.as_dict() == {"created": 3, "updated": 0, "unchanged": 0}
    assert (ci.ci_type.slug, ci.criticality, ci.owner_team, ci.location) == (
        "database",
        1,
        network_team,
        "Amsterdam DC1",
    )
    assert ci.aliases == ["pay-db", "pay-db.example.com"]
    assert ci.attributes == {"engine": "postgres"}
    assert ConfigurationItem.objects.get(name="storage-01").criticality == 3


def test_reimporting_the_same_files_changes_nothing(ci_types: dict[str, CIType], network_team: Team) -> None:
    import_cis(lines(CIS), actor=None)
    import_relationships(lines(RELATIONSHIPS), actor=None)

    again = import_cis(lines(CIS), actor=None)
    again_relationships = import_relationships(lines(RELATIONSHIPS), actor=None)

    assert again.as_dict() == {"created": 0, "updated": 0, "unchanged": 3}
    assert again_relationships.as_dict() == {"created": 0, "updated": 0, "unchanged": 2}
    assert Relationship.objects.count() == 2


def test_a_changed_row_updates_only_that_ci(ci_types: dict[str, CIType], network_team: Team) -> None:
    import_cis(lines(CIS), actor=None)

    result = import_cis(lines(CIS.replace("checkout-api,application,2", "checkout-api,application,1")), actor=None)

    assert result.as_dict() == {"created": 0, "updated": 1, "unchanged": 2}
    assert ConfigurationItem.objects.get(name="checkout-api").criticality == 1


def test_export_then_import_round_trips(ci_types: dict[str, CIType], network_team: Team) -> None:
    import_cis(lines(CIS), actor=None)
    import_relationships(lines(RELATIONSHIPS), actor=None)
    exported_cis, exported_relationships = "".join(export_cis()), "".join(export_relationships())

    assert import_cis(lines(exported_cis), actor=None).as_dict() == {"created": 0, "updated": 0, "unchanged": 3}
    assert import_relationships(lines(exported_relationships), actor=None).unchanged == 2
    assert sorted(exported_relationships.splitlines()) == [
        "checkout-api,depends_on,payments-db",
        "payments-db,hosted_on,storage-01",
        "source,kind,target",
    ]


def test_bad_rows_are_reported_by_line_and_nothing_is_written(ci_types: dict[str, CIType]) -> None:
    text = CIS.replace("checkout-api,application,2", "checkout-api,gadget,2").replace(
        "storage-01,storage,,", "storage-01,storage,9,"
    )
    text = (
        "name,type,criticality,owner_team,aliases,attributes,location\nfirst-ok,server,3,,,,\n" + text.split("\n", 1)[1]
    )

    with pytest.raises(ImportRejected) as rejected:
        import_cis(lines(text), actor=None)

    assert [(error.line, error.field) for error in rejected.value.result.errors] == [
        (3, "owner_team"),
        (4, "type"),
        (5, "criticality"),
    ]
    assert "no type 'gadget'" in rejected.value.result.errors[1].message
    assert ConfigurationItem.objects.count() == 0


def test_a_name_given_twice_is_a_bad_row(ci_types: dict[str, CIType]) -> None:
    with pytest.raises(ImportRejected) as rejected:
        import_cis(lines("name,type\nweb-01,server\nweb-01,server\n"), actor=None)

    assert [error.as_dict() for error in rejected.value.result.errors] == [
        {"line": 3, "field": "name", "message": "'web-01' appears twice in the file; give each CI once."}
    ]
    assert not ConfigurationItem.objects.exists()


def test_an_unknown_ci_in_a_relationship_rolls_back_the_good_rows(
    ci_types: dict[str, CIType], network_team: Team
) -> None:
    import_cis(lines(CIS), actor=None)
    text = RELATIONSHIPS + "checkout-api,depends_on,ghost\nstorage-01,loves,payments-db\n"

    with pytest.raises(ImportRejected) as rejected:
        import_relationships(lines(text), actor=None)

    assert [(error.line, error.field) for error in rejected.value.result.errors] == [(4, "target"), (5, "kind")]
    assert Relationship.objects.count() == 0


def test_a_bad_header_is_refused_before_any_row(ci_types: dict[str, CIType]) -> None:
    with pytest.raises(InvalidInput, match="Line 1 must be the header"):
        import_cis(lines("name,colour\nweb-01,blue\n"), actor=None)


def test_only_configuration_managers_import(ci_types: dict[str, CIType], agent: User) -> None:
    with pytest.raises(NotAllowed):
        import_cis(lines(CIS), actor=agent)


def test_the_cli_imports_and_exports(ci_types: dict[str, CIType], network_team: Team, tmp_path: object) -> None:
    path = tmp_path / "cis.csv"  # type: ignore[operator]
    path.write_text(CIS)
    out = StringIO()

    call_command("cmdb", "import", "cis", str(path), stdout=out)
    exported = StringIO()
    call_command("cmdb", "export", "cis", stdout=exported)

    assert out.getvalue().strip() == "Imported cis: 3 created, 0 updated, 0 unchanged."
    assert exported.getvalue().splitlines()[1].startswith("payments-db,database,in_service,production,1,network,")


def test_the_cli_lists_bad_rows_and_fails(ci_types: dict[str, CIType], tmp_path: object) -> None:
    path = tmp_path / "bad.csv"  # type: ignore[operator]
    path.write_text("name,type\nweb-01,gadget\n")
    err = StringIO()

    with pytest.raises(CommandError, match="Nothing was imported: 1 bad CI row"):
        call_command("cmdb", "import", "cis", str(path), stderr=err)

    assert "line 2: type: no type 'gadget'" in err.getvalue()


def test_csv_columns_follow_the_model() -> None:
    # A file names each CI by its name: ids differ from one CMDB to the next; revisions count the
    # changes of one CMDB's CI (the API's ETag).
    not_in_the_file = {"id", "revision"}

    columns = {ci_field(column).name for column in CI_COLUMNS}

    assert {field.name for field in ConfigurationItem._meta.concrete_fields} == columns | not_in_the_file


def audit(subject_id: int) -> list[tuple[str, str, str, str, str]]:
    rows = AuditRecord.objects.filter(subject_type="ci", subject_id=subject_id).order_by("pk")
    return [(str(row.actor or "Keel"), row.channel, row.field, row.old_value, row.new_value) for row in rows]


def test_an_import_audits_each_created_ci_and_each_changed_field(
    ci_types: dict[str, CIType], network_team: Team, config_manager: User
) -> None:
    import_cis(lines(CIS), actor=config_manager)
    changed = CIS.replace("checkout-api,application,2,,", "checkout-api,database,1,network,")

    with entering(Door.API):
        import_cis(lines(changed), actor=config_manager)

    checkout = ConfigurationItem.objects.get(name="checkout-api")
    database, application = ci_types["database"], ci_types["application"]
    assert audit(checkout.pk) == [
        ("Connie", Door.SYSTEM, "created", "", "checkout-api"),
        ("Connie", Door.API, "type", f"Application (#{application.pk})", f"Database (#{database.pk})"),
        ("Connie", Door.API, "criticality", "2", "1"),
        ("Connie", Door.API, "owner_team", "", f"Network (#{network_team.pk})"),
    ]
    assert audit(ConfigurationItem.objects.get(name="payments-db").pk) == [
        ("Connie", Door.SYSTEM, "created", "", "payments-db")
    ]


def test_an_imported_relationship_is_audited_on_its_source_once(
    ci_types: dict[str, CIType], network_team: Team
) -> None:
    import_cis(lines(CIS), actor=None)

    import_relationships(lines(RELATIONSHIPS), actor=None)
    import_relationships(lines(RELATIONSHIPS), actor=None)

    checkout = ConfigurationItem.objects.get(name="checkout-api")
    assert audit(checkout.pk)[1:] == [("Keel", Door.SYSTEM, "relationship", "", "depends on payments-db")]


def test_a_reimport_or_a_rejected_file_audits_nothing(ci_types: dict[str, CIType], network_team: Team) -> None:
    import_cis(lines(CIS), actor=None)
    before = AuditRecord.objects.count()

    import_cis(lines(CIS), actor=None)
    with pytest.raises(ImportRejected):
        import_cis(lines(CIS + "web-01,gadget\n"), actor=None)

    assert AuditRecord.objects.count() == before
