"""How a session is written: shared values once, and read back equal."""

from __future__ import annotations

import orjson

from bot.store.base import Session


def test_lists_shared_by_the_slots_and_the_back_steps_are_written_once() -> None:
    results = [{"n": i, "path": f"file{i}.py", "text": "x" * 100} for i in range(20)]
    slots = {"repo": "jinja2", "results": results, "page": 2}
    back = [{"state": "search.results", "slots": dict(slots)} for _ in range(4)]
    session = Session("u", state="followup.snippet", slots=dict(slots), back=back)

    data = session.to_data()
    encoded = orjson.dumps(data)
    assert len(encoded) < len(orjson.dumps(results)) * 1.2

    again = Session.from_data("u", orjson.loads(encoded), 0.0, {})
    assert again.slots == slots
    assert [step["slots"] for step in again.back] == [slots] * 4
    assert again.back[0]["slots"]["results"] is again.slots["results"]


def test_small_lists_and_look_alike_values_are_kept_as_they_are() -> None:
    slots = {"one": [1], "tricky": {"$shared": 5, "other": 1}, "empty": []}
    session = Session("u", state="a.b", slots=slots)
    again = Session.from_data("u", orjson.loads(orjson.dumps(session.to_data())), 0.0, {})
    assert again.slots == slots


def test_sessions_written_before_sharing_existed_still_load() -> None:
    old = {"state": "a.b", "slots": {"results": [1, 2, 3]}, "back": [], "flow_version": "v"}
    session = Session.from_data("u", old, 1.0, {})
    assert session.slots == {"results": [1, 2, 3]} and session.state == "a.b"
