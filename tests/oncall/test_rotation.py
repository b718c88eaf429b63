"""The on-call maths as pure functions: handoffs at local wall-clock time across daylight-saving
changes, weekly and custom rotations, layers with restrictions, overrides and members leaving."""

from datetime import UTC, date, datetime

from keel.oncall.rotation import (
    LayerSpec,
    OverrideSpec,
    ScheduleSpec,
    Shift,
    first_anchor,
    on_call_at,
    shifts,
    stint_at,
)
from keel.sla.business_time import CalendarSpec, Window

BERLIN = "Europe/Berlin"
ANN, BOB, CAT, DAN = 1, 2, 3, 4
HOUR = 3600


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def utc(instant: int) -> str:
    return datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%d %H:%M")


def daily(members: tuple[int, ...], *, anchor: date, handoff: int = 9 * 60, **more: object) -> LayerSpec:
    return LayerSpec(
        id=1, name="Daily", position=1, shift_days=1, handoff=handoff, anchor=anchor, members=members, **more
    )  # type: ignore[arg-type]


def schedule(*layers: LayerSpec, overrides: tuple[OverrideSpec, ...] = (), zone: str = BERLIN) -> ScheduleSpec:
    return ScheduleSpec(id=1, team_id=1, name="Primary", tier=1, zone=zone, layers=layers, overrides=overrides)


def test_a_daily_0900_handoff_stays_at_0900_local_across_spring_forward() -> None:
    # Berlin moves from CET (UTC+1) to CEST (UTC+2) at 02:00 on Sunday 29 March 2026.
    spec = schedule(daily((ANN, BOB), anchor=date(2026, 3, 27)))

    found = shifts(spec, at("2026-03-28T00:00:00+00:00"), at("2026-03-31T00:00:00+00:00"))

    assert [(s.person, utc(s.start), utc(s.end)) for s in found] == [
        (ANN, "2026-03-28 00:00", "2026-03-28 08:00"),
        (BOB, "2026-03-28 08:00", "2026-03-29 07:00"),  # 09:00 CET to 09:00 CEST: 23 hours
        (ANN, "2026-03-29 07:00", "2026-03-30 07:00"),
        (BOB, "2026-03-30 07:00", "2026-03-31 00:00"),
    ]
    assert found[1].end - found[1].start == 23 * HOUR


def test_a_daily_handoff_across_fall_back_makes_a_25_hour_shift() -> None:
    # Back from CEST to CET at 03:00 on Sunday 25 October 2026.
    spec = schedule(daily((ANN, BOB), anchor=date(2026, 10, 1)))

    stint = stint_at(spec, at("2026-10-25T05:00:00+01:00"))

    assert stint is not None
    assert (utc(stint.start), utc(stint.end)) == ("2026-10-24 07:00", "2026-10-25 08:00")
    assert stint.end - stint.start == 25 * HOUR
    assert on_call_at(spec, at("2026-10-25T08:59:00+01:00")) == stint.person
    assert on_call_at(spec, at("2026-10-25T09:00:00+01:00")) != stint.person


def test_a_handoff_in_the_spring_forward_gap_happens_when_the_clock_first_reads_it() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: the handoff is at 03:00 CEST (01:00 UTC), B3.
    spec = schedule(daily((ANN, BOB), anchor=date(2026, 3, 27), handoff=2 * 60 + 30))

    found = shifts(spec, at("2026-03-28T12:00:00+00:00"), at("2026-03-29T12:00:00+00:00"))

    assert [utc(s.start) for s in found] == ["2026-03-28 12:00", "2026-03-29 01:00"]


def test_a_weekly_rotation_hands_off_on_its_weekday_at_its_time() -> None:
    anchor = first_anchor(date(2026, 3, 4), 0)  # a Wednesday start waits for Monday
    layer = LayerSpec(
        id=1, name="Weekly", position=1, shift_days=7, handoff=10 * 60, anchor=anchor, members=(ANN, BOB, CAT)
    )
    spec = schedule(layer)

    assert anchor == date(2026, 3, 9)
    assert on_call_at(spec, at("2026-03-09T09:59:00+01:00")) is None  # before the first handoff
    assert on_call_at(spec, at("2026-03-09T10:00:00+01:00")) == ANN
    assert on_call_at(spec, at("2026-03-16T09:59:00+01:00")) == ANN
    assert on_call_at(spec, at("2026-03-16T10:00:00+01:00")) == BOB
    # Across spring-forward the handoff stays at 10:00 local (now UTC+2).
    assert on_call_at(spec, at("2026-03-30T09:59:00+02:00")) == CAT
    assert on_call_at(spec, at("2026-03-30T10:00:00+02:00")) == ANN


def test_a_higher_layer_with_restrictions_wins_in_its_hours_and_the_lower_one_shows_through() -> None:
    weekly = LayerSpec(
        id=1, name="Weekly", position=1, shift_days=7, handoff=9 * 60, anchor=date(2026, 3, 2), members=(ANN,)
    )
    office = CalendarSpec(zone=BERLIN, windows=tuple(Window(day, 9 * 60, 17 * 60) for day in range(5)))
    desk = LayerSpec(
        id=2,
        name="Office hours",
        position=2,
        shift_days=1,
        handoff=9 * 60,
        anchor=date(2026, 3, 2),
        members=(BOB, CAT),
        restrictions=office,
    )
    spec = schedule(desk, weekly)

    day = shifts(spec, at("2026-03-03T00:00:00+01:00"), at("2026-03-04T00:00:00+01:00"))

    assert [(s.person, s.source, utc(s.start), utc(s.end)) for s in day] == [
        (ANN, "Weekly", "2026-03-02 23:00", "2026-03-03 08:00"),
        (CAT, "Office hours", "2026-03-03 08:00", "2026-03-03 16:00"),
        (ANN, "Weekly", "2026-03-03 16:00", "2026-03-03 23:00"),
    ]
    assert on_call_at(spec, at("2026-03-07T12:00:00+01:00")) == ANN  # Saturday: no office hours


def test_an_override_beats_every_layer_and_the_latest_added_wins() -> None:
    spec = schedule(
        daily((ANN, BOB), anchor=date(2026, 3, 1)),
        overrides=(
            OverrideSpec(id=1, person=DAN, start=at("2026-03-07T00:00:00+01:00"), end=at("2026-03-08T00:00:00+01:00")),
            OverrideSpec(id=2, person=CAT, start=at("2026-03-07T12:00:00+01:00"), end=at("2026-03-07T14:00:00+01:00")),
        ),
    )

    assert on_call_at(spec, at("2026-03-07T08:00:00+01:00")) == DAN
    assert on_call_at(spec, at("2026-03-07T13:00:00+01:00")) == CAT
    assert stint_at(spec, at("2026-03-07T15:00:00+01:00")) == Shift(
        DAN, at("2026-03-07T14:00:00+01:00"), at("2026-03-08T00:00:00+01:00"), "override"
    )
    assert on_call_at(spec, at("2026-03-08T00:00:00+01:00")) in (ANN, BOB)


def test_members_leaving_the_others_take_turns_and_a_layer_without_members_has_nobody() -> None:
    before = schedule(daily((ANN, BOB, CAT), anchor=date(2026, 3, 1)))
    after = schedule(daily((ANN, CAT), anchor=date(2026, 3, 1)))
    empty = schedule(daily((), anchor=date(2026, 3, 1)))

    week = [at(f"2026-03-0{day}T12:00:00+01:00") for day in range(1, 5)]

    assert [on_call_at(before, moment) for moment in week] == [ANN, BOB, CAT, ANN]
    assert [on_call_at(after, moment) for moment in week] == [ANN, CAT, ANN, CAT]
    assert [on_call_at(empty, moment) for moment in week] == [None] * 4
    assert shifts(empty, week[0], week[-1]) == []


def test_a_custom_rotation_of_three_days_across_a_change() -> None:
    layer = LayerSpec(
        id=1, name="Three days", position=1, shift_days=3, handoff=8 * 60, anchor=date(2026, 3, 27), members=(ANN, BOB)
    )
    spec = schedule(layer)

    found = shifts(spec, at("2026-03-27T08:00:00+01:00"), at("2026-04-02T08:00:00+02:00"))

    assert [(s.person, s.end - s.start) for s in found] == [(ANN, 71 * HOUR), (BOB, 72 * HOUR)]
