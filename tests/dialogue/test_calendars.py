"""Calendars: a session is one event for its whole life (stable UID, SEQUENCE raised with every change),
cancelled sessions say so, times are Asia/Almaty with a VTIMEZONE, and drafts never reach a feed."""

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.dialogue.helpers import (
    ASTANA,
    EAST_KAZAKHSTAN,
    as_coordinator,
    create_session,
    days_from_today,
    move_session,
    ngo,
    problem,
)


def events(response) -> dict[str, object]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def patch_session(dialogue, session_id: int, **fields) -> dict:
    etag = (await dialogue.get(f"/v1/sessions/{session_id}", headers=as_coordinator())).headers["ETag"]
    r = await dialogue.patch(f"/v1/sessions/{session_id}", json=fields, headers={**as_coordinator(), "If-Match": etag})
    assert r.status_code == 200, r.text
    body: dict = r.json()
    return body


class TestSessionEvent:
    async def test_one_session_as_an_event_in_almaty_time(self, dialogue):
        starts = f"{days_from_today(10)}T15:00:00+05:00"
        session = await create_session(dialogue, "Круглый стол о гражданском участии", status="scheduled",
                                       starts_at=starts, ends_at=f"{days_from_today(10)}T17:30:00+05:00")
        await patch_session(dialogue, session["id"], title={"ru": "Круглый стол о гражданском участии",
                                                            "kk": "Азаматтық қатысу туралы дөңгелек үстел"})
        r = await dialogue.get(f"/v1/sessions/{session['id']}.ics", params={"lang": "kk"})
        (event,) = events(r).values()
        assert str(event["UID"]) == f"session-{session['id']}@ashyq.kz"
        assert str(event["SUMMARY"]) == "Азаматтық қатысу туралы дөңгелек үстел"
        assert event["DTSTART"].params["TZID"] == "Asia/Almaty"
        assert event.start == datetime.fromisoformat(starts)
        assert event.start.astimezone(ZoneInfo("Asia/Almaty")).hour == 15
        assert b"BEGIN:VTIMEZONE" in r.content and b"TZID:Asia/Almaty" in r.content
        assert str(event["STATUS"]) == "CONFIRMED"

    async def test_a_draft_has_no_public_calendar_entry(self, dialogue):
        session = await create_session(dialogue, "Черновик", starts_at=f"{days_from_today(5)}T10:00:00+05:00")
        problem(await dialogue.get(f"/v1/sessions/{session['id']}.ics"), 404)

    async def test_unchanged_calendar_answers_not_modified(self, dialogue):
        session = await create_session(dialogue, "Заседание", status="scheduled",
                                       starts_at=f"{days_from_today(3)}T10:00:00+05:00")
        first = await dialogue.get(f"/v1/sessions/{session['id']}.ics")
        again = await dialogue.get(f"/v1/sessions/{session['id']}.ics",
                                   headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304


class TestSubscribedFeeds:
    async def test_a_change_updates_the_same_event_and_cancelling_marks_it_cancelled(self, dialogue, orgs):
        council = await ngo(orgs, "Общественный совет ВКО", kind="public_council")
        session = await create_session(dialogue, "Заседание общественного совета", kind="council_meeting",
                                       status="scheduled", organizer_ids=[council], region_code=EAST_KAZAKHSTAN,
                                       starts_at=f"{days_from_today(14)}T10:00:00+05:00")
        feed = f"/v1/calendars/orgs/{council}.ics"
        uid = f"session-{session['id']}@ashyq.kz"
        before = events(await dialogue.get(feed))[uid]

        await patch_session(dialogue, session["id"], starts_at=f"{days_from_today(15)}T11:30:00+05:00",
                            venue="Колонный зал ВКТУ им. Д. Серикбаева")
        after = events(await dialogue.get(feed))
        assert list(after) == [uid]  # an update of the same event, not a second one
        assert after[uid]["SEQUENCE"] > before["SEQUENCE"]
        assert after[uid].start.astimezone(ZoneInfo("Asia/Almaty")).hour == 11
        assert str(after[uid]["LOCATION"]) == "Колонный зал ВКТУ им. Д. Серикбаева"

        await patch_session(dialogue, session["id"], description="Повестка уточняется")
        described = events(await dialogue.get(feed))[uid]
        assert described["SEQUENCE"] > after[uid]["SEQUENCE"]

        await move_session(dialogue, session["id"], "cancelled")
        cancelled = events(await dialogue.get(feed))
        assert list(cancelled) == [uid]
        assert str(cancelled[uid]["STATUS"]) == "CANCELLED"
        assert cancelled[uid]["SEQUENCE"] > described["SEQUENCE"]

    async def test_a_change_nobody_sees_keeps_the_sequence(self, dialogue):
        session = await create_session(dialogue, "Рабочая группа", kind="working_group", status="scheduled",
                                       starts_at=f"{days_from_today(7)}T10:00:00+05:00", region_code=ASTANA)
        path = f"/v1/sessions/{session['id']}.ics"
        before = next(iter(events(await dialogue.get(path)).values()))
        await patch_session(dialogue, session["id"], topics=["миграция"])
        after = next(iter(events(await dialogue.get(path)).values()))
        assert after["SEQUENCE"] == before["SEQUENCE"]

    async def test_region_feed_holds_its_districts_and_no_drafts(self, dialogue):
        district = await create_session(dialogue, "Встреча в Глубоковском районе", status="scheduled",
                                        region_code="634000000", starts_at=f"{days_from_today(9)}T10:00:00+05:00")
        draft = await create_session(dialogue, "Черновик в области", region_code=EAST_KAZAKHSTAN,
                                     starts_at=f"{days_from_today(9)}T12:00:00+05:00")
        elsewhere = await create_session(dialogue, "В Астане", status="scheduled", region_code=ASTANA,
                                         starts_at=f"{days_from_today(9)}T14:00:00+05:00")
        uids = set(events(await dialogue.get(f"/v1/calendars/regions/{EAST_KAZAKHSTAN}.ics")))
        assert uids == {f"session-{district['id']}@ashyq.kz"}
        assert f"session-{draft['id']}@ashyq.kz" not in uids
        assert f"session-{elsewhere['id']}@ashyq.kz" in set(events(await dialogue.get(
            f"/v1/calendars/regions/{ASTANA}.ics")))

    async def test_feeds_validate_their_keys(self, dialogue):
        problem(await dialogue.get("/v1/calendars/regions/63.ics"), 422)
        problem(await dialogue.get(f"/v1/calendars/orgs/{2**40}.ics"), 422)
        empty = await dialogue.get("/v1/calendars/orgs/424242.ics")
        assert events(empty) == {}
