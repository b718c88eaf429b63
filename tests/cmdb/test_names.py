"""The names a CI goes by stay in step with its name and aliases, whichever write changed them."""

from io import StringIO

from keel.cmdb.actions.records import create_ci, delete_ci, update_ci
from keel.cmdb.actions.transfer import import_cis
from keel.cmdb.models import ConfigurationItem
from keel.cmdb.queries import cis_named


def test_a_ci_is_found_by_its_name_and_each_alias(ci_types):
    db = create_ci(
        actor=None, name="payments-db", ci_type=ci_types["database"], fields={"aliases": ["pay-db", "db7.example.com"]}
    )

    assert cis_named(["payments-db", "pay-db", "db7.example.com", "nothing"]) == {
        "payments-db": db.pk,
        "pay-db": db.pk,
        "db7.example.com": db.pk,
    }


def test_renaming_and_new_aliases_replace_the_old_names(ci_types):
    db = create_ci(actor=None, name="payments-db", ci_type=ci_types["database"], fields={"aliases": ["pay-db"]})

    update_ci(db, actor=None, changes={"name": "billing-db", "aliases": ["bill-db"]})

    assert cis_named(["payments-db", "pay-db", "billing-db", "bill-db"]) == {"billing-db": db.pk, "bill-db": db.pk}


def test_a_ci_s_own_name_wins_over_another_ci_s_alias(ci_types):
    old = create_ci(actor=None, name="old-db", ci_type=ci_types["database"], fields={"aliases": ["db1"]})
    db1 = create_ci(actor=None, name="db1", ci_type=ci_types["database"])

    assert cis_named(["db1"]) == {"db1": db1.pk}
    assert old.pk < db1.pk


def test_an_import_and_a_deletion_keep_the_names(ci_types):
    import_cis(StringIO("name,type,aliases\nstorage-01,storage,san-a;san-b\n").readlines(), actor=None)
    assert set(cis_named(["storage-01", "san-a", "san-b"])) == {"storage-01", "san-a", "san-b"}

    import_cis(StringIO("name,type,aliases\nstorage-01,storage,san-c\n").readlines(), actor=None)
    assert set(cis_named(["san-a", "san-c"])) == {"san-c"}

    delete_ci(ConfigurationItem.objects.get(name="storage-01"), actor=None)
    assert cis_named(["storage-01", "san-c"]) == {}
