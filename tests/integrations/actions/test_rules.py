"""Correlation rules through their actions: checked as the whole rule would be stored, every change
audited field by field, through whichever door it came (API, admin)."""

from collections.abc import Callable

import pytest

from keel.accounts.models import Team, User
from keel.integrations.actions.rules import RULE_FIELDS, SUBJECT, create_rule, update_rule
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.models import CorrelationRule
from keel.lib.doors import Door
from keel.lib.errors import InvalidInput
from tests.conftest import ApiClient
from tests.integrations.conftest import audit, doors, field_names, signed_in
from tests.integrations.test_admin import rule_form

pytestmark = pytest.mark.django_db


def test_rule_settings_columns_follow_the_model() -> None:
    # People set every field of a rule but its id and the revision every change counts up (the ETag).
    assert field_names(CorrelationRule) == set(RULE_FIELDS) | {"id", "revision"}


def test_a_rules_life_is_audited_field_by_field(
    incident_manager: User, sources: dict[str, IssuedSecret], network_team: Team
) -> None:
    source = sources["alertmanager"].source
    rule = create_rule(actor=incident_manager, fields={"name": " Payments  pages", "severities": ["critical"]})

    update_rule(
        rule,
        actor=incident_manager,
        changes={"source": source, "matchers": [{"label": "team", "value": "payments"}], "window_s": 3600},
    )
    update_rule(rule, actor=None, changes={"is_active": False, "assignment_group": network_team})

    assert audit(SUBJECT, rule.pk) == [
        ("Imogen", "created", "", "Payments pages"),
        ("Imogen", "source", "", f"prod-alertmanager (#{source.pk})"),
        ("Imogen", "matchers", "[]", '[{"label": "team", "op": "=", "value": "payments"}]'),
        ("Keel", "is_active", "True", "False"),
        ("Keel", "assignment_group", "", f"Network (#{network_team.pk})"),
    ]


def test_a_refused_rule_change_changes_nothing(incident_manager: User) -> None:
    rule = create_rule(actor=incident_manager, fields={"name": "Pages"})

    with pytest.raises(InvalidInput, match="severities must be a list"):
        update_rule(rule, actor=incident_manager, changes={"severities": ["urgent"], "position": 1})
    with pytest.raises(InvalidInput, match="A rule named 'Info alerts are recorded only' exists already"):
        update_rule(rule, actor=incident_manager, changes={"name": "Info alerts are recorded only"})
    with pytest.raises(InvalidInput, match="These fields cannot be set: colour"):
        update_rule(rule, actor=incident_manager, changes={"colour": "red"})

    rule.refresh_from_db()
    assert (rule.name, rule.severities, rule.position) == ("Pages", [], 100)
    assert [field for _, field, _, _ in audit(SUBJECT, rule.pk)] == ["created"]


def test_each_change_says_which_door_it_came_through(incident_manager: User, api: Callable[[User], ApiClient]) -> None:
    created = api(incident_manager).post("/correlation-rules", {"name": "Over the API"})
    rule_id = created.json()["id"]
    api(incident_manager).patch(f"/correlation-rules/{rule_id}", {"position": 7})
    admin = signed_in(incident_manager)
    admin.post(f"/admin/integrations/correlationrule/{rule_id}/change/", rule_form(name="Over the API", position="8"))
    admin.post("/admin/integrations/correlationrule/add/", rule_form(name="In the admin"))

    assert doors(SUBJECT, rule_id) == [
        ("created", Door.API),
        ("position", Door.API),
        ("position", Door.ADMIN),
        ("severities", Door.ADMIN),
    ]
    assert doors(SUBJECT, CorrelationRule.objects.get(name="In the admin").pk) == [("created", Door.ADMIN)]
