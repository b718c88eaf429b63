"""Routing rules written through their actions: checked, audited, forbidden to those who may not,
and read again by every process once they change."""

import pytest

from keel.accounts.models import Team, User
from keel.audit.models import AuditRecord
from keel.cmdb.models import Service
from keel.incidents.states import Channel, Level
from keel.lib.errors import InvalidInput, NotAllowed
from keel.routing.actions import CHANNELS, SUBJECT, create_rule, delete_rule, update_rule
from keel.routing.decide import LEVELS
from keel.routing.queries import active_rules


def test_routing_names_the_channels_and_levels_incidents_store() -> None:
    assert tuple(Channel.values) == CHANNELS
    assert dict(LEVELS) == {level.label: level.value for level in Level}


@pytest.mark.django_db
def test_a_rule_is_created_audited_and_routes_from_then_on(incident_manager: User, network_team: Team) -> None:
    fields = {"name": "  Wi-Fi   on site ", "words": ["wi-fi", "wifi", "wi-fi"], "assignment_group": network_team}

    rule = create_rule(actor=incident_manager, fields=fields)

    assert (rule.name, rule.words, rule.revision) == ("Wi-Fi on site", ["wi-fi", "wifi"], 1)
    assert AuditRecord.objects.filter(subject_type=SUBJECT, subject_id=rule.pk, field="created").exists()
    assert [spec.name for spec in active_rules()] == ["Wi-Fi on site"]


@pytest.mark.django_db
def test_a_change_is_read_at_once_and_a_deleted_rule_routes_no_more(
    incident_manager: User, network_team: Team, service_desk: Team
) -> None:
    rule = create_rule(actor=incident_manager, fields={"name": "Wi-Fi", "assignment_group": network_team})
    assert [spec.group_id for spec in active_rules()] == [network_team.pk]

    update_rule(rule, actor=incident_manager, changes={"assignment_group": service_desk})
    after_change = [spec.group_id for spec in active_rules()]
    delete_rule(rule, actor=incident_manager)

    assert after_change == [service_desk.pk]
    assert active_rules() == ()
    assert AuditRecord.objects.filter(subject_type=SUBJECT, field="assignment_group").count() == 1


@pytest.mark.django_db
def test_an_inactive_rule_is_not_tried(incident_manager: User, network_team: Team) -> None:
    create_rule(actor=incident_manager, fields={"name": "Off", "is_active": False, "assignment_group": network_team})

    assert active_rules() == ()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": " "}, "name"),
        ({"service_ids": [999_999]}, "service_ids"),
        ({"category_ids": ["network"]}, "category_ids"),
        ({"channels": ["fax"]}, "channels"),
        ({"priorities": [0]}, "priorities"),
        ({"words": [""]}, "words"),
        ({"labels": ["site=paris"]}, "labels"),
        ({"set_urgency": 7}, "set_urgency"),
        ({"mystery": 1}, "mystery"),
    ],
)
def test_a_rule_that_cannot_be_stored_is_refused_naming_the_field(
    incident_manager: User, network_team: Team, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_rule(actor=incident_manager, fields={"name": "Rule", "assignment_group": network_team, **fields})

    assert refused.value.field == field
    assert not AuditRecord.objects.filter(subject_type=SUBJECT).exists()


@pytest.mark.django_db
def test_a_rule_on_a_service_that_exists_is_kept(incident_manager: User, network_team: Team) -> None:
    payroll = Service.objects.create(name="Payroll")

    rule = create_rule(
        actor=incident_manager,
        fields={"name": "Payroll", "service_ids": [payroll.pk], "assignment_group": network_team},
    )

    assert rule.service_ids == [payroll.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agent", "resolver", "requester"])
def test_only_incident_managers_and_admins_manage_rules(
    request: pytest.FixtureRequest, who: str, incident_manager: User, network_team: Team
) -> None:
    actor = request.getfixturevalue(who)
    rule = create_rule(actor=incident_manager, fields={"name": "Wi-Fi", "assignment_group": network_team})

    with pytest.raises(NotAllowed):
        create_rule(actor=actor, fields={"name": "Mine", "assignment_group": network_team})
    with pytest.raises(NotAllowed):
        update_rule(rule, actor=actor, changes={"position": 1})
    with pytest.raises(NotAllowed):
        delete_rule(rule, actor=actor)
