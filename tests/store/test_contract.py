"""What every conversation store promises, checked on memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import DuplicateMessageError, StoreError
from bot.store.base import ConversationRow, ConversationStore, Session
from bot.store.lease import claim_held
from tests.store.conftest import StoreFactory


def _session(user: str, state: str = "search.ask_query", **kw: object) -> Session:
    return Session(
        user_id=user,
        state=state,
        slots={"repo": "jinja2", "results": [{"path": "a.py", "line": 3}]},
        back=[{"state": "greeting.menu", "slots": {}}],
        flow_version="v1",
        last_activity=kw.pop("last_activity", 1000.0),  # type: ignore[arg-type]
        timeout_at=kw.pop("timeout_at", None),  # type: ignore[arg-type]
        context={"name": "Ana", "turns": 3},
    )


def _row(user: str, text: str, ts: float, **kw: object) -> ConversationRow:
    return ConversationRow(user_id=user, message=text, response=f"re: {text}", timestamp=ts, **kw)  # type: ignore[arg-type]


class TestStoreContract:
    async def test_unknown_user_has_no_session(self, store: ConversationStore) -> None:
        assert await store.load_session("+100") is None

    async def test_session_round_trips(self, store: ConversationStore) -> None:
        sent = _session("+1555", timeout_at=2000.5)
        await store.save_turn(sent, [])
        got = await store.load_session("+1555")
        assert got == sent

    async def test_save_turn_overwrites_session_and_appends_rows(
        self, store: ConversationStore
    ) -> None:
        await store.save_turn(_session("+1", "greeting.menu"), [_row("+1", "hi", 1.0)])
        row = _row("+1", "find Template", 2.0, intent="search", score=91.5, meta={"ms": 3})
        await store.save_turn(_session("+1", "search.results"), [row])
        got = await store.load_session("+1")
        assert got is not None and got.state == "search.results"
        assert [r.message for r in await store.history("+1")] == ["hi", "find Template"]
        assert (await store.history("+1"))[-1] == row

    async def test_failing_row_rolls_back_the_session_write(self, store: ConversationStore) -> None:
        await store.save_turn(_session("+1", "greeting.menu"), [_row("+1", "hi", 1.0)])
        broken = _row("+1", "bad \ud800 surrogate", 2.0)  # not valid Unicode: no DB stores it
        with pytest.raises(StoreError):
            await store.save_turn(_session("+1", "search.results"), [_row("+1", "ok", 2.0), broken])
        got = await store.load_session("+1")
        assert got is not None and got.state == "greeting.menu"
        assert [r.message for r in await store.history("+1")] == ["hi"]
        # the store stays usable for the next turn
        await store.save_turn(_session("+1", "search.results"), [_row("+1", "next", 3.0)])
        assert [r.message for r in await store.history("+1")] == ["hi", "next"]

    async def test_control_characters_and_emoji_are_kept(self, store: ConversationStore) -> None:
        text = "bell\x07 tab\t emoji 🐍 Ελληνικά 中文 نص"
        session = _session("+1")
        session.slots["query"] = text
        await store.save_turn(session, [_row("+1", text, 1.0, meta={"q": text})])
        got = await store.load_session("+1")
        assert got is not None and got.slots["query"] == text
        (row,) = await store.history("+1")
        assert row.message == text and row.meta == {"q": text}

    async def test_a_nul_character_is_replaced_not_fatal(self, store: ConversationStore) -> None:
        session = _session("+1")
        session.slots["query"] = "a\x00b"
        await store.save_turn(session, [_row("+1", "x\x00y", 1.0, meta={"k\x00": "v\x00"})])
        got = await store.load_session("+1")
        assert got is not None and got.slots["query"] == "a\ufffdb"
        (row,) = await store.history("+1")
        assert row.message == "x\ufffdy" and row.meta == {"k\ufffd": "v\ufffd"}

    async def test_meta_that_is_not_json_is_refused(self, store: ConversationStore) -> None:
        with pytest.raises(StoreError, match="JSON"):
            await store.append_rows([_row("+1", "x", 1.0, meta={"obj": object()})])
        assert await store.history("+1") == []

    async def test_concurrent_turns_of_different_users_all_land(
        self, store: ConversationStore
    ) -> None:
        users = [f"+{n}" for n in range(50)]
        await asyncio.gather(
            *(store.save_turn(_session(u), [_row(u, "hi", 1.0), _row(u, "yo", 2.0)]) for u in users)
        )
        for u in users:
            assert [r.message for r in await store.history(u)] == ["hi", "yo"]
            assert await store.load_session(u) is not None

    async def test_one_bad_turn_in_a_busy_moment_fails_alone(
        self, store: ConversationStore
    ) -> None:
        good = [store.save_turn(_session(f"+{n}"), [_row(f"+{n}", "ok", 1.0)]) for n in range(5)]
        bad = store.save_turn(_session("+bad"), [_row("+bad", "\udfff", 1.0)])
        results = await asyncio.gather(*good, bad, return_exceptions=True)
        assert results[:5] == [None] * 5
        assert isinstance(results[5], StoreError)
        assert await store.load_session("+bad") is None
        assert await store.load_session("+4") is not None

    async def test_history_is_oldest_first_and_limited(self, store: ConversationStore) -> None:
        await store.append_rows([_row("+1", f"m{n}", float(n)) for n in (3, 1, 2, 5, 4)])
        await store.append_rows([_row("+2", "other", 9.0)])
        assert [r.message for r in await store.history("+1", limit=3)] == ["m3", "m4", "m5"]
        assert [r.message for r in await store.history("+1")] == ["m1", "m2", "m3", "m4", "m5"]
        assert await store.history("+1", limit=0) == []

    async def test_claim_message_is_atomic_under_concurrency(
        self, store: ConversationStore
    ) -> None:
        claims = await asyncio.gather(*(store.claim_message("SM1", "+1") for _ in range(100)))
        assert claims.count(True) == 1
        assert await store.claim_message("SM1", "+1") is False
        assert await store.claim_message("SM2", "+1") is True

    async def test_an_unhandled_claim_is_claimable_again_after_the_window(
        self, make_store: StoreFactory
    ) -> None:
        store = await make_store()
        assert await store.claim_message("SM1", "+1") is True  # then the instance died
        make_store.now[0] += 10  # type: ignore[attr-defined]
        assert await store.claim_message("SM1", "+1") is False  # may still be in progress
        make_store.now[0] += 6  # type: ignore[attr-defined]
        assert await store.claim_message("SM1", "+1") is True  # Twilio's retry is processed
        assert await store.claim_message("SM1", "+1") is False

    async def test_a_handled_message_is_never_claimed_again(self, make_store: StoreFactory) -> None:
        store = await make_store()
        assert await store.claim_message("SMt", "+1")
        assert await store.claim_message("SMr", "+1")
        await store.save_turn(_session("+1"), [_row("+1", "hi", 1.0, message_sid="SMt")])
        await store.append_rows([_row("+1", "too fast", 2.0, message_sid="SMr")])
        make_store.now[0] += 3600  # type: ignore[attr-defined]
        assert await store.claim_message("SMt", "+1") is False
        assert await store.claim_message("SMr", "+1") is False

    async def test_the_turns_read_says_whether_its_message_was_handled(
        self, store: ConversationStore
    ) -> None:
        assert await store.load_turn("+1", "SM1") == (None, False)
        await store.save_turn(_session("+1"), [_row("+1", "hi", 1.0, message_sid="SM1")])
        assert await store.load_turn("+1", "SM1") == (_session("+1"), True)
        assert await store.load_turn("+1", "SM2") == (_session("+1"), False)
        assert await store.load_turn("+2", "SM1") == (None, True)

    async def test_a_turn_of_a_message_handled_already_saves_nothing(
        self, store: ConversationStore
    ) -> None:
        await store.save_turn(
            _session("+1", "greeting.menu"), [_row("+1", "hi", 1.0, message_sid="SM1")]
        )
        with pytest.raises(DuplicateMessageError):
            await store.save_turn(
                _session("+1", "search.results"), [_row("+1", "hi again", 2.0, message_sid="SM1")]
            )
        with pytest.raises(DuplicateMessageError):
            await store.append_rows([_row("+1", "too fast", 3.0, message_sid="SM1")])
        got = await store.load_session("+1")
        assert got is not None and got.state == "greeting.menu"
        assert [r.message for r in await store.history("+1")] == ["hi"]
        await store.save_turn(_session("+1", "search.results"), [_row("+1", "next", 4.0)])
        assert [r.message for r in await store.history("+1")] == ["hi", "next"]

    async def test_two_instances_saving_one_message_save_it_once(
        self, make_store: StoreFactory
    ) -> None:
        stores = [await make_store() for _ in range(4)]  # instances sharing one database
        saves = [
            s.save_turn(_session("+1", f"s.{n}"), [_row("+1", f"turn {n}", 1.0, message_sid="SM1")])
            for n, s in enumerate(stores * 5)
        ]
        outcomes = await asyncio.gather(*saves, return_exceptions=True)
        assert [o for o in outcomes if not isinstance(o, DuplicateMessageError)] == [None]
        (row,) = await stores[0].history("+1")
        got = await stores[0].load_session("+1")
        assert got is not None and got.state == f"s.{row.message.split()[1]}"  # the same turn

    async def test_a_message_kept_after_its_turn_was_saved_is_not_kept(
        self, make_store: StoreFactory
    ) -> None:
        store = await make_store()
        await store.save_turn(_session("+1"), [_row("+1", "hi", 1.0, message_sid="SM1")])
        await store.keep_pending("SM1", "+1", {"body": "hi"})
        make_store.now[0] += 60  # type: ignore[attr-defined]
        assert await store.pending_messages() == []  # its reply went out in the response

    async def test_a_retrys_keep_leaves_the_first_delivery_its_message(
        self, make_store: StoreFactory
    ) -> None:
        store = await make_store()
        await store.keep_pending("SM1", "+1", {"body": "first"})
        make_store.now[0] += 10  # type: ignore[attr-defined]
        await store.keep_pending("SM1", "+1", {"body": "retry"})  # neither kept nor renewed
        make_store.now[0] += 6  # type: ignore[attr-defined]
        (kept,) = await store.pending_messages()
        assert kept.payload == {"body": "first"}

    async def test_status_keeps_the_latest_stage_whatever_the_arrival_order(
        self, store: ConversationStore
    ) -> None:
        assert await store.message_status("SMx") is None
        assert await store.record_status("SMx", "delivered", 3.0) is True
        assert await store.record_status("SMx", "sent", 2.0) is False  # late callback
        assert await store.record_status("SMx", "queued", 1.0) is False
        assert await store.message_status("SMx") == "delivered"
        assert await store.record_status("SMx", "delivered", 3.0) is False  # repeated
        assert await store.record_status("SMx", "READ", 4.0) is True
        assert await store.message_status("SMx") == "read"

    async def test_purge_removes_only_old_rows(self, store: ConversationStore) -> None:
        await store.save_turn(_session("+1"), [_row("+1", "old", 10.0), _row("+1", "new", 100.0)])
        assert await store.purge_older_than(50.0) == 1
        assert [r.message for r in await store.history("+1")] == ["new"]
        assert await store.load_session("+1") is not None  # sessions are not history
        assert await store.purge_older_than(50.0) == 0

    async def test_due_sessions_lists_expired_timeouts_first(
        self, store: ConversationStore
    ) -> None:
        await store.save_turn(_session("+late", timeout_at=300.0), [])
        await store.save_turn(_session("+early", timeout_at=100.0), [])
        await store.save_turn(_session("+future", timeout_at=900.0), [])
        await store.save_turn(_session("+none"), [])
        assert await store.due_sessions(500.0) == ["+early", "+late"]
        assert await store.due_sessions(500.0, limit=1) == ["+early"]
        await store.save_turn(_session("+early", timeout_at=None), [])
        assert await store.due_sessions(500.0) == ["+late"]

    async def test_active_sessions_counts_recent_users(self, store: ConversationStore) -> None:
        for n, seen in enumerate((10.0, 20.0, 30.0)):
            await store.save_turn(_session(f"+{n}", last_activity=seen), [])
        assert await store.active_sessions(since=20.0) == 2
        assert await store.active_sessions(since=31.0) == 0

    async def test_ping_fails_once_closed(self, store: ConversationStore) -> None:
        await store.ping()
        await store.close()
        with pytest.raises(StoreError):
            await store.ping()
        with pytest.raises(StoreError):
            await store.load_session("+1")
        with pytest.raises(StoreError):
            await store.save_turn(_session("+1"), [])

    async def test_restart_keeps_everything(self, make_store: StoreFactory) -> None:
        if make_store.backend == "memory":  # type: ignore[attr-defined]
            pytest.skip("the memory store keeps nothing across a restart, by design")
        first = await make_store()
        await first.save_turn(_session("+1"), [_row("+1", "hi", 1.0, message_sid="SMa")])
        await first.record_status("SMb", "sent", 1.0)
        await first.close()
        second = await make_store()
        assert await second.load_session("+1") == _session("+1")
        assert [r.message_sid for r in await second.history("+1")] == ["SMa"]
        assert await second.claim_message("SMa", "+1") is False
        assert await second.message_status("SMb") == "sent"
        assert await second.schema_version() >= 1


class TestClaimLease:
    """A slow turn outlasting the reclaim window keeps its claim while its owner lives."""

    async def test_a_live_owner_keeps_its_claim_through_a_slow_turn(
        self, make_store: StoreFactory
    ) -> None:
        owner, retry = await make_store(), await make_store()  # two instances, one database
        assert await owner.claim_message("SMslow", "+1")
        async with claim_held(owner, "SMslow", every=0.01):
            for _ in range(10):  # a 40 s turn against a 15 s window
                make_store.now[0] += 4  # type: ignore[attr-defined]
                await asyncio.sleep(0.1)  # the lease is renewed meanwhile
                assert await retry.claim_message("SMslow", "+1") is False
            await owner.save_turn(_session("+1"), [_row("+1", "slow", 1.0, message_sid="SMslow")])
        make_store.now[0] += 3600  # type: ignore[attr-defined]
        assert await retry.claim_message("SMslow", "+1") is False
        assert [r.message for r in await retry.history("+1")] == ["slow"]  # one row

    async def test_a_dead_owners_claim_is_still_taken_over(self, make_store: StoreFactory) -> None:
        owner, survivor = await make_store(), await make_store()
        assert await owner.claim_message("SMdead", "+1")
        async with claim_held(owner, "SMdead", every=0.01):
            await asyncio.sleep(0.05)
        # the owner died here: nobody renews any more
        make_store.now[0] += 16  # type: ignore[attr-defined]
        assert await survivor.claim_message("SMdead", "+1") is True
        assert await owner.renew_claim("SMdead") is True  # now held by the survivor's claim

    async def test_renewing_a_handled_or_unknown_claim_says_so(
        self, store: ConversationStore
    ) -> None:
        assert await store.renew_claim("SMnone") is False
        assert await store.claim_message("SMh", "+1")
        await store.append_rows([_row("+1", "done", 1.0, message_sid="SMh")])
        assert await store.renew_claim("SMh") is False


class TestPendingMessages:
    """What was acknowledged without its reply survives a crash until its turn is saved."""

    async def test_a_kept_message_of_a_dead_owner_is_listed_once_stale(
        self, make_store: StoreFactory
    ) -> None:
        store = await make_store()
        assert await store.claim_message("SMp", "+1")
        await store.keep_pending("SMp", "+1", {"body": "where is Template", "to": "whatsapp:+1415"})
        assert await store.pending_messages() == []  # its owner may still be working on it
        make_store.now[0] += 16  # type: ignore[attr-defined]
        restarted = await make_store()
        (found,) = await restarted.pending_messages()
        assert (found.message_sid, found.user_id) == ("SMp", "+1")
        assert found.payload == {"body": "where is Template", "to": "whatsapp:+1415"}
        assert found.reply is None  # the turn is still to run
        assert await restarted.take_over("SMp") is True  # taken over to be redone
        assert await restarted.take_over("SMp") is False  # now fresh: nobody else takes it
        assert await store.claim_message("SMp", "+1") is False  # nor Twilio's retry
        assert await restarted.pending_messages() == []  # held by the new owner
        await restarted.save_turn(_session("+1"), [_row("+1", "where", 2.0, message_sid="SMp")])
        make_store.now[0] += 16  # type: ignore[attr-defined]  # killed before the reply went out
        (unsent,) = await restarted.pending_messages()
        assert (unsent.message_sid, unsent.reply) == ("SMp", "re: where")  # sent, not redone
        assert await restarted.take_over("SMp") is True
        assert await restarted.renew_claim("SMp") is True  # held while the reply goes out
        await restarted.reply_sent("SMp")
        assert await restarted.renew_claim("SMp") is False
        make_store.now[0] += 16  # type: ignore[attr-defined]
        assert await restarted.pending_messages() == []  # answered: never again
        assert await restarted.claim_message("SMp", "+1") is False

    async def test_messages_answered_in_time_are_never_pending(
        self, make_store: StoreFactory
    ) -> None:
        store = await make_store()
        assert await store.claim_message("SMq", "+1")
        make_store.now[0] += 60  # type: ignore[attr-defined]
        assert await store.pending_messages() == []  # nothing kept: its reply was in the response
