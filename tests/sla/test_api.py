"""The SLA API: calendars and policies (managers write, staff read), the incident's clocks, compliance."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps

from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.lifecycle import put_incident_on_hold, transition_incident
from keel.incidents.actions.records import open_incident, update_incident
from keel.incidents.states import HoldReason, IncidentState, Level
from keel.lib.clock import frozen_at
from keel.sla.actions.setup import create_calendar
from keel.sla.models import Calendar, CalendarVersion, Policy
from tests.sla.conftest import HOUR, OFFICE_HOURS, london

NIGHTS = [{"weekday": "mon", "opens": "22:00", "closes": "06:00", "closes_next_day": True}]


def test_a_manager_creates_a_calendar_with_public_holidays(api, incident_manager):
    response = api(incident_manager).post(
        "/sla/calendars",
        {
            "name": "London",
            "zone": "Europe/London",
            "windows": OFFICE_HOURS,
            "holiday_country": "GB",
            "holiday_subdivision": "ENG",
            "recurring_closures": [{"month": 12, "day": 24, "name": "Christmas Eve"}],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["zone"], body["version"]) == ("Europe/London", 1)
    assert {"date": "2025-12-25", "name": "Christmas Day"} in body["holidays"]
    assert CalendarVersion.objects.filter(calendar_id=body["id"]).count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"zone": "Europe/Lundon"}, "zone", "Unknown time zone 'Europe/Lundon'"),
        (
            {
                "windows": [
                    {"weekday": "mon", "opens": "09:00", "closes": "12:00"},
                    {"weekday": "mon", "opens": "11:00", "closes": "13:00"},
                ]
            },
            "windows",
            "Windows overlap",
        ),
        (
            {"windows": [{"weekday": "mon", "opens": "17:00", "closes": "17:00"}]},
            "windows",
            "opens and closes at 17:00",
        ),
        ({"windows": [{"weekday": "mon", "opens": "9am", "closes": "17:00"}]}, "windows", "must be a time like 09:00"),
        ({"windows": []}, "windows", "no working time"),
        (
            {"windows": [{"weekday": "mon", "opens": "17:00", "closes": "09:00"}]},
            "windows",
            "Window mon 17:00–09:00 closes before it opens. For a night shift that ends the next morning add "
            '"closes_next_day": true; if the times are the wrong way round, swap them.',
        ),
        (
            {"windows": [{"weekday": "mon", "opens": "09:00", "closes": "17:00", "closes_next_day": True}]},
            "windows",
            "Window mon 09:00–17:00 has closes_next_day but closes the same day",
        ),
        ({"holiday_country": "XX"}, "holiday_country", "No public holidays known for country 'XX'"),
        (
            {"closures": [{"starts": "2025-12-25T00:00", "ends": "2025-12-24T00:00"}]},
            "closures",
            "ends before it starts",
        ),
    ],
)
def test_an_unusable_calendar_is_refused_and_nothing_is_stored(api, incident_manager, change, field, message):
    body = {"name": "Broken", "zone": "Europe/London", "windows": OFFICE_HOURS, **change}

    response = api(incident_manager).post("/sla/calendars", body)

    assert response.status_code == 400
    assert (response.json()["field"], message in response.json()["message"]) == (field, True)
    assert not Calendar.objects.exists()


def test_a_night_shift_says_it_closes_the_next_day_and_every_answer_says_which_windows_do(api, admin_user):
    windows = [
        {"weekday": "mon", "opens": "09:00", "closes": "17:00"},
        {"weekday": "tue", "opens": "22:00", "closes": "06:00", "closes_next_day": True},
        {"weekday": "Wednesday", "opens": "18:00", "closes": "24:00"},  # midnight needs no flag
        {"weekday": "sat", "opens": "00:00", "closes": "00:00"},
    ]

    created = api(admin_user).post("/sla/calendars", {"name": "Nights", "zone": "UTC", "windows": windows})

    assert created.status_code == 201, created.json()
    read = api(admin_user).get("/sla/calendars/Nights").json()
    assert (
        created.json()["windows"]
        == read["windows"]
        == [
            {"weekday": "mon", "opens": "09:00", "closes": "17:00", "closes_next_day": False},
            {"weekday": "tue", "opens": "22:00", "closes": "06:00", "closes_next_day": True},
            {"weekday": "wed", "opens": "18:00", "closes": "00:00", "closes_next_day": True},
            {"weekday": "sat", "opens": "00:00", "closes": "00:00", "closes_next_day": True},
        ]
    )


def test_a_night_shift_counts_through_midnight_as_one_window(api, admin_user, agent, requester):
    client = api(admin_user)
    client.post("/sla/calendars", {"name": "Nights", "zone": "Europe/London", "windows": NIGHTS})
    client.post("/sla/policies", {"name": "Night desk", "calendar": "Nights", "resolution_target_seconds": 4 * HOUR})

    with frozen_at(london("2025-06-02T23:00")):  # a Monday, an hour into the shift
        incident = open_incident(actor=agent, caller=requester, title="Batch job stuck")

    # 23:00–03:00 BST, across midnight (E19b)
    resolution = api(agent).get(f"/incidents/{incident.number}").json()["sla"][0]
    assert resolution["target_at"] == "2025-06-03T02:00:00.000000Z"


def test_editing_another_field_keeps_a_night_shift_stored_before_the_flag_existed(api, incident_manager):
    """Calendars saved before windows carried ``closes_next_day``: migration 0002 marks their night
    shifts, so a later edit of something else is not refused."""
    api(incident_manager).post("/sla/calendars", {"name": "Nights", "zone": "UTC", "windows": NIGHTS})
    Calendar.objects.update(windows=[{"weekday": "mon", "opens": "22:00", "closes": "06:00"}])  # as stored then

    import_module("keel.sla.migrations.0002_windows_closes_next_day").mark_next_day_windows(django_apps, None)
    response = api(incident_manager).patch("/sla/calendars/Nights", {"name": "Night shift"})

    assert response.status_code == 200, response.json()
    assert response.json()["windows"] == [{**NIGHTS[0], "closes_next_day": True}]
    assert response.json()["version"] == 1


def test_editing_a_calendar_makes_a_new_version(api, incident_manager, office_hours):
    response = api(incident_manager).patch(f"/sla/calendars/{office_hours.pk}", {"windows": NIGHTS})

    assert (response.status_code, response.json()["version"]) == (200, 2)
    assert CalendarVersion.objects.filter(calendar=office_hours).count() == 2


@pytest.mark.parametrize("who", ["agent", "resolver", "requester", "config_manager"])
def test_only_managers_and_admins_write_sla_setup(api, request, who, office_hours, policies):
    client = api(request.getfixturevalue(who))

    created = client.post("/sla/calendars", {"name": "Mine", "zone": "UTC", "windows": NIGHTS})
    edited = client.patch(f"/sla/policies/{policies[1].pk}", {"resolution_target_seconds": 60})

    assert (created.status_code, edited.status_code) == (403, 403)
    assert Policy.objects.get(pk=policies[1].pk).resolution_target_s == 2 * HOUR


def _delete(client, path):
    return client.client.delete(f"/api/v1{path}", headers=client.headers)


def _spare_calendar():
    return create_calendar(actor=None, fields={"name": "Spare", "zone": "UTC", "windows": NIGHTS})


def _sla_writes(client, office_hours, spare, unused_policy):
    """Each write the SLA set-up offers, once: the status codes answered, in order."""
    return [
        client.patch(f"/sla/calendars/{office_hours.pk}", {"windows": NIGHTS}).status_code,
        _delete(client, f"/sla/calendars/{spare.pk}").status_code,
        client.post(
            "/sla/policies", {"name": "Mine", "calendar": office_hours.pk, "resolution_target_seconds": 60}
        ).status_code,
        _delete(client, f"/sla/policies/{unused_policy.pk}").status_code,
    ]


@pytest.mark.parametrize("who", ["agent", "resolver", "requester", "config_manager"])
def test_everyone_but_managers_is_refused_every_sla_write_and_nothing_changes(api, request, who, policies):
    office_hours, spare = policies[1].calendar, _spare_calendar()
    client = api(request.getfixturevalue(who))

    statuses = _sla_writes(client, office_hours, spare, policies[1])
    refusal = client.patch(f"/sla/calendars/{office_hours.pk}", {"windows": NIGHTS}).json()

    assert statuses == [403, 403, 403, 403]
    assert refusal["message"] == "Only incident managers and administrators can change SLA calendars and policies."
    assert (Calendar.objects.get(pk=office_hours.pk).version, Calendar.objects.filter(pk=spare.pk).exists()) == (
        1,
        True,
    )
    assert sorted(Policy.objects.values_list("name", flat=True)) == ["P1 critical", "P3 moderate", "Standard"]


def test_an_incident_manager_holds_manage_sla_and_may_make_every_sla_write(api, incident_manager, policies):
    office_hours, spare = policies[1].calendar, _spare_calendar()

    statuses = _sla_writes(api(incident_manager), office_hours, spare, policies[1])

    assert statuses == [200, 204, 201, 204]
    assert (Calendar.objects.get(pk=office_hours.pk).version, Calendar.objects.filter(pk=spare.pk).exists()) == (
        2,
        False,
    )
    assert sorted(Policy.objects.values_list("name", flat=True)) == ["Mine", "P3 moderate", "Standard"]


def test_requesters_cannot_read_sla_setup(api, requester, office_hours):
    client = api(requester)

    assert client.get("/sla/calendars").status_code == 403
    assert client.get("/sla/policies").status_code == 403
    assert client.get("/sla/compliance").status_code == 403


def test_staff_read_policies(api, agent, policies):
    response = api(agent).get("/sla/policies")

    assert [p["name"] for p in response.json()] == ["P1 critical", "P3 moderate", "Standard"]
    assert response.json()[0] | {"id": 0, "calendar": {}} == {
        "id": 0,
        "name": "P1 critical",
        "position": 10,
        "is_active": True,
        "priority": 1,
        "service": None,
        "category_id": None,
        "caller_vip": None,
        "calendar": {},
        "response_target_seconds": 1800,
        "resolution_target_seconds": 7200,
        "thresholds": [50, 75, 90],
        "pausing_reasons": ["awaiting_caller", "awaiting_change", "awaiting_vendor"],
        "on_reopen": "resume",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"calendar": "Nowhere"}, "calendar"),
        ({"resolution_target_seconds": -5}, "resolution_target_seconds"),  # the schema names it
        ({"resolution_target_seconds": None, "response_target_seconds": None}, "resolution_target_s"),
        ({"thresholds": [50, 120]}, "thresholds"),
        ({"priority": 9}, "priority"),
        ({"pausing_reasons": ["on_lunch"]}, "pausing_reasons"),
    ],
)
def test_bad_policies_are_refused(api, incident_manager, office_hours, body, field):
    payload = {"name": "Bad", "calendar": office_hours.pk, "resolution_target_seconds": HOUR, **body}

    response = api(incident_manager).post("/sla/policies", payload)

    assert response.status_code == 400
    assert response.json()["field"] in {field, f"{field}.0", f"{field}.1"} | {"pausing_reasons.0"}
    assert not Policy.objects.exists()


def test_a_used_calendar_cannot_be_deleted(api, admin_user, policies, office_hours):
    response = api(admin_user).client.delete(
        f"/api/v1/sla/calendars/{office_hours.pk}", headers=api(admin_user).headers
    )

    assert response.status_code == 409
    assert Calendar.objects.filter(pk=office_hours.pk).exists()


def test_the_incident_json_carries_its_clocks(api, agent, requester, policies):
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail", impact=Level.MEDIUM, urgency=Level.MEDIUM)
    with frozen_at(london("2025-06-02T11:00")):
        body = api(agent).get(f"/incidents/{incident.number}").json()

    assert body["sla"] == [
        {
            "name": "resolution",
            "policy": "P3 moderate",
            "state": "running",
            "target_at": "2025-06-02T16:00:00.000000Z",
            "target_seconds": 28800,
            "business_seconds_elapsed": 7200,
            "business_seconds_left": 21600,
            "breached_at": None,
            "overdue": False,
        },
        {
            "name": "response",
            "policy": "P3 moderate",
            "state": "running",
            "target_at": "2025-06-02T10:00:00.000000Z",
            "target_seconds": 7200,
            "business_seconds_elapsed": 7200,
            "business_seconds_left": 0,
            "breached_at": None,
            "overdue": False,
        },
    ]
    listed = api(agent).get("/incidents").json()["items"][0]["sla"]
    assert [clock["name"] for clock in listed] == ["resolution", "response"]


def test_a_clock_running_for_days_counts_the_same_on_every_read(api, agent, requester, policies):
    # A read counts the days before today once per process and today's part per second: the
    # figures must not depend on which of those a read hit first.
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail", impact=Level.MEDIUM, urgency=Level.MEDIUM)
    reads = []
    for moment in ("2025-06-05T15:00", "2025-06-05T15:00", "2025-06-05T16:30", "2025-06-06T10:00"):
        with frozen_at(london(moment)):
            reads.append(api(agent).get(f"/incidents/{incident.number}").json()["sla"][0])
    with frozen_at(london("2025-06-05T15:00")):
        listed = api(agent).get("/incidents").json()["items"][0]["sla"][0]

    # Mon, Tue, Wed 09:00-17:00, then Thu 09:00-15:00 / 16:30, then Fri 09:00-10:00 as well
    hours = [3 * 8 + 6, 3 * 8 + 6, 3 * 8 + 7.5, 4 * 8 + 1]
    assert [read["business_seconds_elapsed"] for read in reads] == [int(h * 3600) for h in hours]
    assert listed == reads[0]
    assert reads[0]["business_seconds_left"] == 0
    assert reads[0]["overdue"] is True


def test_the_sla_endpoint_adds_each_clocks_history(api, agent, requester, service_desk, policies):
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail", impact=Level.MEDIUM, urgency=Level.MEDIUM)
        assign_incident(incident, actor=agent, group=service_desk)
    with frozen_at(london("2025-06-02T09:30")):
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)

    body = api(agent).get(f"/incidents/{incident.number}/sla").json()

    response = next(clock for clock in body if clock["name"] == "response")
    assert response["state"] == "met"
    assert [(item["kind"], item["at"], item["business_seconds"]) for item in response["history"]] == [
        ("attached", "2025-06-02T08:00:00.000000Z", 0),
        ("stopped", "2025-06-02T08:30:00.000000Z", 1800),
    ]


def test_a_calendar_edit_shows_in_the_history_with_the_business_time_counted_until_then(
    api, agent, requester, incident_manager, policies
):
    office_hours = policies[3].calendar
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail", impact=Level.MEDIUM, urgency=Level.MEDIUM)
    longer_days = [{**window, "closes": "18:00"} for window in OFFICE_HOURS]
    with frozen_at(london("2025-06-02T11:30")):
        edited = api(incident_manager).patch(f"/sla/calendars/{office_hours.pk}", {"windows": longer_days})

    body = api(agent).get(f"/incidents/{incident.number}/sla").json()

    assert edited.status_code == 200
    resolution = next(clock for clock in body if clock["name"] == "resolution")
    assert [(item["kind"], item["at"], item["business_seconds"]) for item in resolution["history"]] == [
        ("attached", "2025-06-02T08:00:00.000000Z", 0),
        ("calendar_switched", "2025-06-02T10:30:00.000000Z", 9000),
    ]
    assert resolution["target_at"] == "2025-06-02T16:00:00.000000Z"  # 2.5 h + 5.5 h of the longer day: 17:00 BST


def test_patching_impact_and_urgency_recalculates_the_clocks_in_the_answer_and_on_the_timeline(api, agent, policies):
    client = api(agent)
    with frozen_at(london("2025-06-02T09:00")):
        number = client.post("/incidents", {"title": "VPN", "impact": "medium", "urgency": "medium"}).json()["number"]

    with frozen_at(london("2025-06-02T10:00")):
        patched = client.patch(f"/incidents/{number}", {"impact": "high", "urgency": "high"})

    assert patched.status_code == 200, patched.json()
    assert patched.json()["priority"] == "P1"
    assert patched.json()["sla"] == [
        {
            "name": "resolution",
            "policy": "P1 critical",
            "state": "running",
            "target_at": "2025-06-02T10:00:00.000000Z",  # 2 h from 09:00 BST
            "target_seconds": 7200,
            "business_seconds_elapsed": 3600,
            "business_seconds_left": 3600,
            "breached_at": None,
            "overdue": False,
        },
        {
            "name": "response",
            "policy": "P1 critical",
            "state": "running",
            "target_at": "2025-06-02T08:30:00.000000Z",
            "target_seconds": 1800,
            "business_seconds_elapsed": 3600,
            "business_seconds_left": 0,
            "breached_at": "2025-06-02T08:30:00.000000Z",  # 30 min from 09:00 BST: past when raised
            "overdue": True,
        },
    ]
    summaries = [entry["summary"] for entry in client.get(f"/incidents/{number}/timeline").json()]
    assert (
        "SLA resolution clock recalculated: 8 h (P3 moderate) → 2 h (P1 critical); 1 h of business time counted so far."
        in summaries
    )
    assert (
        "SLA response clock recalculated: 2 h (P3 moderate) → 30 min (P1 critical); "
        "1 h of business time counted so far and is already breached."
    ) in summaries


def test_a_create_answers_the_same_sla_as_a_read(api, agent, policies):
    client = api(agent)
    with frozen_at(london("2025-06-02T09:00")):
        created = client.post("/incidents", {"title": "VPN", "impact": "medium", "urgency": "medium"}).json()
        read = client.get(f"/incidents/{created['number']}").json()

    assert created["sla"] == read["sla"]
    assert [(clock["name"], clock["business_seconds_left"]) for clock in read["sla"]] == [
        ("resolution", 28800),
        ("response", 7200),
    ]


def test_osticket_5160_overdue_follows_the_current_due_while_the_breach_stays(
    api, agent, requester, service_desk, policies
):
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail", impact=Level.HIGH, urgency=Level.HIGH)
        assign_incident(incident, actor=agent, group=service_desk)
    with frozen_at(london("2025-06-02T11:30")):
        overdue = next(
            c for c in api(agent).get(f"/incidents/{incident.number}").json()["sla"] if c["name"] == "resolution"
        )
        update_incident(incident, actor=agent, changes={"impact": Level.MEDIUM, "urgency": Level.MEDIUM})
        lowered = next(
            c for c in api(agent).get(f"/incidents/{incident.number}").json()["sla"] if c["name"] == "resolution"
        )

    assert (overdue["overdue"], overdue["breached_at"]) == (True, None)  # past due; the sweep has not run
    assert (lowered["overdue"], lowered["breached_at"]) == (False, "2025-06-02T10:00:00.000000Z")
    assert lowered["target_at"] == "2025-06-02T16:00:00.000000Z"


def test_frappe_a_breached_clock_on_hold_shows_both(client, agent, requester, service_desk, policies):
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail", impact=Level.HIGH, urgency=Level.HIGH)
        assign_incident(incident, actor=agent, group=service_desk)
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)
    with frozen_at(london("2025-06-02T12:00")):
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)
    client.force_login(agent)

    page = client.get(f"/incidents/{incident.number}/").content.decode()

    assert 'sla-flag--paused">Paused</strong> <strong class="sla-flag sla-flag--breached">Breached' in page


@pytest.mark.parametrize("path", ["/sla/calendars/No such calendar", "/sla/policies/No such policy"])
def test_a_calendar_or_policy_in_the_path_that_does_not_exist_is_404(api, incident_manager, path):
    answer = api(incident_manager).get(path)

    assert answer.status_code == 404
