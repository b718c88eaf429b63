"""The write helpers of ``lib.sql`` store what ``save()`` would, on SQLite and on PostgreSQL, and
refuse what they cannot store that way."""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, models
from django.db.models.signals import post_init, pre_save
from django.test.utils import isolate_apps
from django.utils import timezone

from keel.lib.sql import bulk_update, columns_of_fields, insert_instance, insert_rows, instance_from_row, new_values

pytestmark = pytest.mark.django_db(transaction=True)  # tables are made and dropped by each test


class Colour(models.TextChoices):
    RED = "red", "Red"
    BLUE = "blue", "Blue"


class Size(models.IntegerChoices):
    SMALL = 1, "Small"
    LARGE = 2, "Large"


@pytest.fixture
def tables() -> Iterator[dict[str, type[models.Model]]]:
    with isolate_apps("keel.lib"):

        class Thing(models.Model):
            name = models.CharField(max_length=20)
            data = models.JSONField(default=dict)
            maybe = models.JSONField(null=True)
            colour = models.CharField(max_length=8, choices=Colour.choices, default=Colour.RED)
            size = models.PositiveSmallIntegerField(choices=Size.choices, default=Size.SMALL)
            flag = models.BooleanField(default=False)
            count = models.IntegerField(default=5)
            at = models.DateTimeField(null=True)

            class Meta:
                app_label = "keel_lib"

        class Stamped(models.Model):
            name = models.CharField(max_length=20)
            created_at = models.DateTimeField(auto_now_add=True)
            updated_at = models.DateTimeField(auto_now=True)

            class Meta:
                app_label = "keel_lib"

        class Watched(models.Model):
            name = models.CharField(max_length=20)

            class Meta:
                app_label = "keel_lib"

        class SavesMore(models.Model):
            name = models.CharField(max_length=20)

            class Meta:
                app_label = "keel_lib"

            def save(self, *args: Any, **kwargs: Any) -> None:
                self.name = self.name.upper()
                super().save(*args, **kwargs)

        class Filed(models.Model):
            file = models.FileField()

            class Meta:
                app_label = "keel_lib"

        made = {model.__name__: model for model in (Thing, Stamped, Watched, SavesMore, Filed)}
        with connection.schema_editor() as editor:
            for model in made.values():
                editor.create_model(model)
        try:
            yield made
        finally:
            with connection.schema_editor() as editor:
                for model in made.values():
                    editor.delete_model(model)


JSON_VALUES = ["text", "", 3, 2.5, True, False, [1, "x", None], {"a": {"b": [1]}}, {}]


@pytest.mark.parametrize("value", JSON_VALUES, ids=repr)
def test_a_json_value_is_stored_as_json_whatever_its_kind(tables: dict[str, Any], value: object) -> None:
    thing = tables["Thing"]
    inserted = insert_instance(thing(name="inserted", data=value, maybe=value))
    updated = insert_instance(thing(name="updated"))
    updated.data = updated.maybe = value
    bulk_update(thing, [updated], ["data", "maybe"])

    for row in (inserted, updated):
        stored = thing.objects.get(pk=row.pk)
        assert (stored.data, stored.maybe) == (value, value)


def test_a_missing_json_value_is_null_as_the_orm_stores_none(tables: dict[str, Any]) -> None:
    thing = tables["Thing"]
    row = insert_instance(thing(name="nothing", maybe=None))

    assert thing.objects.get(pk=row.pk).maybe is None
    assert thing.objects.filter(maybe__isnull=True).count() == 1


def test_choices_defaults_and_times_read_back_as_saved(tables: dict[str, Any]) -> None:
    thing = tables["Thing"]
    moment = datetime(2026, 12, 7, 9, 30, 0, 123456, tzinfo=UTC)
    inserted = insert_instance(thing(name="chosen", colour=Colour.BLUE, size=Size.LARGE, flag=True, at=moment))
    saved = thing(name="chosen", colour=Colour.BLUE, size=Size.LARGE, flag=True, at=moment)
    saved.save()

    fields = ["name", "data", "maybe", "colour", "size", "flag", "count", "at"]
    read = thing.objects.values(*fields)
    assert read.get(pk=inserted.pk) == read.get(pk=saved.pk)
    assert read.get(pk=inserted.pk)["count"] == 5


def test_insert_rows_returns_the_new_rows_and_skips_conflicts_when_asked(tables: dict[str, Any]) -> None:
    thing = tables["Thing"]
    columns = columns_of_fields(thing, ["name", "data", "maybe", "colour", "size", "flag", "count"])
    row = {"name": "a", "data": {"k": 1}, "maybe": "scalar", "colour": Colour.BLUE, "size": Size.LARGE}
    row |= {"flag": True, "count": 7}

    (returned,) = insert_rows(thing._meta.db_table, columns, [row], returning="id, name")

    assert returned[1] == "a"
    stored = thing.objects.get(pk=returned[0])
    assert (stored.data, stored.maybe, stored.colour, stored.size, stored.flag) == ({"k": 1}, "scalar", "blue", 2, True)


def test_new_values_gives_each_row_its_own_containers(tables: dict[str, Any]) -> None:
    first, second = new_values(tables["Thing"]), new_values(tables["Thing"])

    first["data"]["mine"] = True

    assert second["data"] == {}
    assert (first["colour"], first["count"], first["maybe"]) == (Colour.RED, 5, None)


def test_inserting_stamps_auto_now_fields_as_save_does(tables: dict[str, Any]) -> None:
    stamped = tables["Stamped"]
    before = timezone.now()

    row = insert_instance(stamped(name="new"))

    stored = stamped.objects.get(pk=row.pk)
    assert before <= stored.created_at <= timezone.now()
    assert before <= stored.updated_at <= timezone.now()
    assert (row.created_at, row.updated_at) == (stored.created_at, stored.updated_at)


def test_a_bulk_update_refuses_a_field_it_would_not_stamp(tables: dict[str, Any]) -> None:
    stamped = tables["Stamped"]
    row = insert_instance(stamped(name="new"))

    with pytest.raises(TypeError, match="auto_now"):
        bulk_update(stamped, [row], ["name", "updated_at"])


def test_a_model_whose_save_does_more_is_refused(tables: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="save\\(\\) of its own"):
        insert_instance(tables["SavesMore"](name="quiet"))


def test_a_model_with_save_receivers_is_refused(tables: dict[str, Any]) -> None:
    watched = tables["Watched"]

    def noticed(**kwargs: Any) -> None:
        pass

    pre_save.connect(noticed, sender=watched)
    try:
        with pytest.raises(TypeError, match="pre_save/post_save"):
            insert_instance(watched(name="seen"))
    finally:
        pre_save.disconnect(noticed, sender=watched)


def test_a_file_field_is_refused(tables: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="is a file"):
        insert_instance(tables["Filed"](file="a.txt"))


def test_a_value_json_cannot_carry_is_refused(tables: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        insert_instance(tables["Thing"](name="money", data=Decimal("1.5")))

    assert not tables["Thing"].objects.exists()


def test_a_model_with_post_init_receivers_is_loaded_through_its_constructor(tables: dict[str, Any]) -> None:
    watched = tables["Watched"]
    row = insert_instance(watched(name="seen"))
    calls: list[str] = []

    def initialised(instance: Any, **kwargs: Any) -> None:
        calls.append(instance.name)

    post_init.connect(initialised, sender=watched)
    try:
        loaded = instance_from_row(watched, [row.pk, "seen"])
    finally:
        post_init.disconnect(initialised, sender=watched)

    assert (loaded.pk, loaded.name, calls) == (row.pk, "seen", ["seen"])
