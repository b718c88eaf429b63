import json

from keel.sla.models import Calendar, CalendarVersion

WINDOWS = json.dumps([{"weekday": "mon", "opens": "09:00", "closes": "17:00"}])


def _calendar_form(**fields):
    return {
        "name": "Dublin",
        "zone": "Europe/Dublin",
        "windows": WINDOWS,
        "holiday_country": "IE",
        "holiday_subdivision": "",
        "closures": "[]",
        "recurring_closures": "[]",
        **fields,
    }


def test_an_admin_adds_a_calendar_through_the_same_rules(client, admin_user):
    client.force_login(admin_user)

    response = client.post("/admin/sla/calendar/add/", _calendar_form())

    assert response.status_code == 302
    calendar = Calendar.objects.get(name="Dublin")
    assert CalendarVersion.objects.filter(calendar=calendar, number=1).exists()
    assert any(holiday["name"] == "Saint Patrick's Day" for holiday in calendar.holidays)


def test_the_admin_refuses_an_unknown_zone_and_stores_nothing(client, admin_user):
    client.force_login(admin_user)

    response = client.post("/admin/sla/calendar/add/", _calendar_form(zone="Europe/Dublinn"))

    assert response.status_code == 200
    assert "Unknown time zone" in response.content.decode()
    assert not Calendar.objects.exists()


def test_admin_pages_for_policies_and_clocks(client, admin_user, policies):
    client.force_login(admin_user)

    assert client.get("/admin/sla/policy/").status_code == 200
    assert client.get(f"/admin/sla/policy/{policies[1].pk}/change/").status_code == 200
    assert client.get("/admin/sla/clock/").status_code == 200


def test_the_admin_asks_for_closes_next_day_on_a_night_shift(client, admin_user):
    client.force_login(admin_user)
    nights = json.dumps([{"weekday": "mon", "opens": "22:00", "closes": "06:00"}])

    response = client.post("/admin/sla/calendar/add/", _calendar_form(windows=nights))

    assert response.status_code == 200
    assert "closes before it opens. For a night shift that ends the next morning add" in response.content.decode()
    assert not Calendar.objects.exists()
