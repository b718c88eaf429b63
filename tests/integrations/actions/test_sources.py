"""Sources through their actions: every change audited field by field (the secret never, only that
it was rotated), names that must be free, and a revoked source that gets no new secret."""

from datetime import UTC, datetime

import pytest

from keel.accounts.models import User
from keel.integrations.actions.sources import (
    SOURCE_FIELDS,
    SUBJECT,
    create_source,
    revoke_source,
    rotate_secret,
    update_source,
)
from keel.integrations.models import Source
from keel.lib.clock import frozen_at
from keel.lib.errors import InvalidInput
from tests.integrations.conftest import audit, field_names

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
# Keel stamps these: the secret's hash and prefix, who added the source and when, its revocation,
# and the revision every change counts up (the ETag).
STAMPED = {"id", "token_hash", "token_prefix", "created_at", "created_by", "revoked_at", "revision"}


def test_source_settings_columns_follow_the_model() -> None:
    assert field_names(Source) == set(SOURCE_FIELDS) | STAMPED


def test_a_sources_life_is_audited_field_by_field(incident_manager: User) -> None:
    with frozen_at(NOW):
        source = create_source(actor=incident_manager, name="prod-am", kind="alertmanager").source
        changes = {"description": "The prod one", "identity_labels": ["alertname"], "expire_after_s": 600}
        update_source(source, actor=incident_manager, changes=changes)
        update_source(source, actor=incident_manager, changes={"description": "The prod one"})
        rotated = rotate_secret(source, actor=None)
        revoke_source(source, actor=incident_manager)
        revoke_source(source, actor=incident_manager)

    assert audit(SUBJECT, source.pk) == [
        ("Imogen", "created", "", "prod-am"),
        ("Imogen", "description", "", "The prod one"),
        ("Imogen", "identity_labels", "[]", '["alertname"]'),
        ("Imogen", "expire_after_s", "0", "600"),
        ("Keel", "secret", "…", f"{rotated.secret[:8]}… (rotated)"),
        ("Imogen", "revoked_at", "", NOW.isoformat()),
    ]


def test_a_name_another_source_has_is_refused_and_nothing_changes(incident_manager: User) -> None:
    create_source(actor=incident_manager, name="prod-am", kind="alertmanager")
    other = create_source(actor=incident_manager, name="staging-am", kind="alertmanager").source

    with pytest.raises(InvalidInput, match=r"A source named 'prod-am' exists already; pick another name\."):
        create_source(actor=incident_manager, name="prod-am", kind="prometheus")
    with pytest.raises(InvalidInput, match="A source named 'prod-am' exists already"):
        update_source(other, actor=incident_manager, changes={"name": "prod-am"})

    assert Source.objects.get(pk=other.pk).name == "staging-am"
    assert [field for _, field, _, _ in audit(SUBJECT, other.pk)] == ["created"]


def test_a_revoked_source_gets_no_new_secret(incident_manager: User) -> None:
    source = revoke_source(create_source(actor=None, name="old", kind="pagerduty").source, actor=None)
    token_hash = source.token_hash

    with pytest.raises(InvalidInput, match="old is revoked; a revoked source gets no new secret"):
        rotate_secret(source, actor=incident_manager)

    assert Source.objects.get(pk=source.pk).token_hash == token_hash
