from __future__ import annotations

import asyncio
import contextlib
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest

from bot.access.senders import sender_key
from tests.store.conftest import PG_URL, pg_schema
from tests.web.conftest import BOT_NUMBER, SETUP, inbound, post_signed, ready, sign

USER = "whatsapp:+15551230001"
KEY = sender_key(USER)  # how the bot keys this sender


def messages(twiml: str) -> list[str]:
    doc = ET.fromstring(twiml)
    assert doc.tag == "Response"
    return [m.text or "" for m in doc.findall("Message")]


async def test_a_signed_message_is_answered_in_twiml_and_stored(start) -> None:
    client, services = await start()
    status, body = await post_signed(client, "/webhook", inbound("SM1", "hi"))
    assert status == 200
    replies = messages(body)
    assert replies[0].startswith("👋 Hi Ada!") or replies[0].startswith("👋 Hi")
    assert any("What would you like to do?" in r for r in replies)
    rows = await services.store.history(KEY)
    assert [(r.message, r.message_sid) for r in rows] == [("hi", "SM1")]


async def test_the_reply_is_xml_with_the_right_content_type(start) -> None:
    client, _ = await start()
    fields = inbound("SM1", "hi")
    headers = {"X-Twilio-Signature": sign("/webhook", fields)}
    async with client.post("/webhook", data=fields, headers=headers) as resp:
        assert resp.status == 200
        assert resp.content_type == "text/xml"


async def test_a_forged_signature_gets_403_and_changes_nothing(start) -> None:
    client, services = await start()
    fields = inbound("SM1", "hi")
    status, _ = await post_signed(client, "/webhook", fields, token="not-the-token")
    assert status == 403
    assert await services.store.history(KEY) == []
    assert await services.store.claim_message("SM1", KEY)  # the SID was never claimed


async def test_a_missing_signature_gets_403(start) -> None:
    client, services = await start()
    async with client.post("/webhook", data=inbound("SM1", "hi")) as resp:
        assert resp.status == 403
        assert "X-Twilio-Signature" in await resp.text()
    assert await services.store.history(KEY) == []


async def test_the_signature_covers_the_public_url_not_the_one_behind_the_proxy(start) -> None:
    client, _ = await start()
    fields = inbound("SM1", "hi")
    internal = str(client.make_url("")).rstrip("/")
    status, _ = await post_signed(client, "/webhook", fields, base=internal)
    assert status == 403
    # Query strings are signed as sent (raw), not decoded.
    status, body = await post_signed(client, "/webhook?tenant=a%2Fb&x=1", fields)
    assert status == 200
    assert messages(body)


async def test_a_repeated_delivery_gets_an_empty_response_and_no_second_turn(start) -> None:
    client, services = await start()
    first = await post_signed(client, "/webhook", inbound("SM1", "hi"))
    again = await post_signed(client, "/webhook", inbound("SM1", "hi"))
    assert first[0] == again[0] == 200
    assert messages(first[1])
    assert messages(again[1]) == []
    assert len(await services.store.history(KEY)) == 1


async def test_concurrent_messages_from_one_sender_are_handled_in_order(start, slow_search) -> None:
    slow_search.delay = 0.05
    client, services = await start()
    await ready(client, USER)
    texts = [f"handler_{i}" for i in range(6)]
    tasks = []
    for i, text in enumerate(texts):
        tasks.append(
            asyncio.create_task(post_signed(client, "/webhook", inbound(f"SM{i + 1}", text)))
        )
        await asyncio.sleep(0.01)  # they arrive in this order while earlier turns still run
    answers = await asyncio.gather(*tasks)
    assert all(status == 200 and messages(body) for status, body in answers)
    rows = await services.store.history(KEY, limit=50)
    assert [r.message for r in rows] == [*SETUP, *texts]
    assert slow_search.most_at_once == 1


async def test_different_senders_do_not_wait_for_each_other(start, slow_search) -> None:
    slow_search.delay = 0.5
    client, _ = await start()
    senders = [f"whatsapp:+1555000{i:04d}" for i in range(5)]
    for sender in senders:
        await ready(client, sender)
    started = time.monotonic()
    await asyncio.gather(
        *(
            post_signed(client, "/webhook", inbound(f"SMb{i}", "handler_1", s))
            for i, s in enumerate(senders)
        )
    )
    assert time.monotonic() - started < 1.5  # 5 x 0.5 s in sequence would take 2.5 s
    assert slow_search.most_at_once > 1


@pytest.mark.usefixtures("one_window")
async def test_over_the_rate_limit_one_notice_then_silence_and_nothing_is_lost(start) -> None:
    client, services = await start(limits={"rate_limit_per_minute": 3})
    answers = [
        await post_signed(client, "/webhook", inbound(f"SM{i}", f"msg {i}")) for i in range(6)
    ]
    assert all(status == 200 for status, _ in answers)
    assert all(messages(body) for _, body in answers[:3])
    assert messages(answers[3][1]) == [
        "You're sending messages faster than I can keep up with (3 a minute). "
        "I've kept them; please wait a minute before sending more."
    ]
    assert messages(answers[4][1]) == messages(answers[5][1]) == []
    rows = await services.store.history(KEY, limit=50)
    assert [r.message for r in rows] == [f"msg {i}" for i in range(6)]
    assert [r.message_type for r in rows][3:] == ["rate_limited"] * 3


async def test_a_long_reply_is_split_into_ordered_parts(start) -> None:
    client, _ = await start(limits={"max_reply_chars": 120})
    await ready(client, USER)
    _, body = await post_signed(client, "/webhook", inbound("SM2", "/def handler_/"))
    parts = messages(body)
    assert len(parts) > 2
    assert all(len(p) <= 120 for p in parts)
    assert "handler_" in " ".join(parts)


async def test_media_without_text_gets_a_clear_answer(start) -> None:
    client, _ = await start()
    fields = {**inbound("SM1", ""), "NumMedia": "1", "MediaUrl0": "https://x/y.jpg"}
    status, body = await post_signed(client, "/webhook", fields)
    assert status == 200
    assert "I can only read text" in " ".join(messages(body))  # after the welcome
    fields = {**inbound("SM2", ""), "NumMedia": "1", "MediaUrl0": "https://x/z.ogg"}
    status, body = await post_signed(client, "/webhook", fields)
    assert status == 200 and "I can only read text" in " ".join(messages(body))
    _status, body = await post_signed(client, "/webhook", inbound("SM3", ""))
    assert "empty message" in " ".join(messages(body))


async def test_an_oversized_request_gets_413_and_nothing_is_stored(start) -> None:
    client, services = await start(limits={"max_body_bytes": 2048})
    fields = inbound("SM1", "x" * 4000)
    status, _ = await post_signed(client, "/webhook", fields)
    assert status == 413
    assert await services.store.history(KEY) == []


async def test_malformed_requests_get_400_with_the_reason(start) -> None:
    client, services = await start()
    no_sender = {k: v for k, v in inbound("SM1", "hi").items() if k != "From"}
    status, body = await post_signed(client, "/webhook", no_sender)
    assert (status, "no From" in body) == (400, True)
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": "x"}
    async with client.post("/webhook", data=b'{"Body": "hi"}', headers=headers) as resp:
        assert resp.status == 400
        assert "application/x-www-form-urlencoded" in await resp.text()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"}
    async with client.post("/webhook", data=b"\xff\xfe", headers=headers) as resp:
        assert resp.status == 400
    assert await services.store.history(KEY) == []


async def test_a_slow_turn_is_acknowledged_at_once_and_delivered_through_the_rest_api(
    start, slow_search, fake_twilio
) -> None:
    fake, _ = fake_twilio
    slow_search.delay = 1.2
    client, _ = await start(limits={"reply_budget_seconds": 0.1, "max_reply_chars": 150})
    await ready(client, USER)
    started = time.monotonic()
    status, body = await post_signed(client, "/webhook", inbound("SM2", "/def handler_/"))
    assert status == 200
    assert messages(body) == []
    assert time.monotonic() - started < 0.9  # the turn itself takes 1.2 s
    for _ in range(100):
        if fake.sent:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # let the remaining parts arrive
    assert fake.sent
    assert {m.to for m in fake.sent} == {USER}
    assert {m.from_ for m in fake.sent} == {BOT_NUMBER}
    assert all(len(m.body) <= 150 for m in fake.sent)
    assert len(fake.sent) > 1
    assert fake.sent[0].body.startswith("Found")  # the parts went out in order
    assert fake.sent[0].status_callback == "https://bot.example.com/status"


async def test_unknown_fields_are_tolerated(start) -> None:
    client, _ = await start()
    fields = {**inbound("SM1", "hi"), "SomeNewTwilioField": "x", "ButtonPayload": ""}
    status, body = await post_signed(client, "/webhook", fields)
    assert status == 200 and messages(body)


async def test_a_failing_store_still_gets_a_twiml_answer(start) -> None:
    client, services = await start()
    await services.store.close()
    status, body = await post_signed(client, "/webhook", inbound("SM1", "hi"))
    assert status == 200
    # the words of a turn that fails inside the engine: the flows' `error` message
    assert messages(body) == [
        "Sorry, something went wrong on my side. Please try again, or send “help”."
    ]
    assert messages(body) == [services.engine.failure_text()]


async def test_a_charset_on_the_content_type_is_accepted(start) -> None:
    client, _ = await start()
    fields = inbound("SM1", "héllo wörld")
    headers = {
        "X-Twilio-Signature": sign("/webhook", fields),
        "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
    }
    async with client.post("/webhook", data=urlencode(fields), headers=headers) as resp:
        assert resp.status == 200
        assert messages(await resp.text())


async def test_rest_delivery_failures_are_counted_not_lost_silently(
    start, slow_search, fake_twilio
) -> None:
    fake, _ = fake_twilio
    fake.plan = [500]
    slow_search.delay = 0.3
    client, _ = await start(limits={"reply_budget_seconds": 0.05})
    await ready(client, USER)
    status, body = await post_signed(client, "/webhook", inbound("SM2", "/def handler_/"))
    assert (status, messages(body)) == (200, [])
    for _ in range(40):
        await asyncio.sleep(0.05)
        async with client.get("/metrics") as resp:
            text = await resp.text()
        if 'bot_outbound_messages_total{result="failed"} 1.0' in text:
            break
    assert 'bot_outbound_messages_total{result="failed"} 1.0' in text
    assert fake.requests == 1  # a 500 may have created the message: not sent twice


_NOT_WHOLE = ["²", "٣", "5" * 5000, "-1", "1.0", " 1", "1e3", "0x1", "+1", "101"]
_NOT_DEGREES = ["²", "9" * 5000, "nan", "inf", "1e3", "1,5", "--1", "12.", "0x10"]
NUMERIC_FIELDS = {
    "NumMedia": _NOT_WHOLE,
    "NumSegments": _NOT_WHOLE,
    "ReferralNumMedia": _NOT_WHOLE,
    "Latitude": [*_NOT_DEGREES, "90.5", "-91"],
    "Longitude": [*_NOT_DEGREES, "180.01", "-181"],
}


async def test_every_numeric_field_is_read_strictly_and_refused_with_the_reason(start) -> None:
    client, services = await start()
    for n, (name, values) in enumerate(NUMERIC_FIELDS.items()):
        for value in values:
            status, body = await post_signed(
                client, "/webhook", {**inbound(f"SMbad{n}", "hi"), name: value}
            )
            assert status == 400, (name, value[:20])
            assert body.startswith(f"Malformed request: {name} must be a ")
    assert await services.store.history(KEY) == []
    located = {**inbound("SMok", "hi"), "Latitude": "-33.8688", "Longitude": "151.2093"}
    assert (await post_signed(client, "/webhook", {**located, "NumMedia": "0"}))[0] == 200
    assert [r.message_sid for r in await services.store.history(KEY)] == ["SMok"]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_twilios_retry_of_a_slow_turn_still_running_is_not_processed_again(
    start, slow_search, fake_twilio, backend
) -> None:
    fake, _ = fake_twilio
    async with contextlib.AsyncExitStack() as stack:
        storage: dict[str, object] = {"reclaim_after_seconds": 1.5}
        if backend == "postgres":
            schema = await stack.enter_async_context(pg_schema())
            storage["database_url"] = f"{PG_URL}?search_path={schema}"
        client, services = await start(limits={"reply_budget_seconds": 0.1}, storage=storage)
        await ready(client, USER)
        slow_search.delay = 4.5  # the turn outlasts the reclaim window three times over
        first = await post_signed(client, "/webhook", inbound("SMslow", "/def handler_/"))
        await asyncio.sleep(2.5)  # Twilio retries after its own timeout
        retry = await post_signed(client, "/webhook", inbound("SMslow", "/def handler_/"))
        for _ in range(100):
            if fake.sent:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(5.0)  # time for a second turn, if there were one
        rows = await services.store.history(KEY, limit=20)
    assert first[0] == retry[0] == 200 and messages(first[1]) == messages(retry[1]) == []
    assert [r.message_sid for r in rows].count("SMslow") == 1  # one row
    assert slow_search.calls == 1  # one search (one LLM call, had the turn asked one)
    assert len([m for m in fake.sent if m.body.startswith("Found")]) == 1  # one reply


async def test_late_replies_come_from_the_bots_one_number_whatever_the_to_field(
    start, slow_search, fake_twilio
) -> None:
    fake, _ = fake_twilio
    client, _ = await start(limits={"reply_budget_seconds": 0.1})
    await ready(client, USER)
    slow_search.delay = 0.5
    other = {**inbound("SM2", "/def handler_/"), "To": "whatsapp:+14150000000"}
    status, body = await post_signed(client, "/webhook", other)
    assert (status, messages(body)) == (200, [])  # acknowledged; the reply follows
    for _ in range(100):
        if fake.sent:
            break
        await asyncio.sleep(0.05)
    assert fake.sent and {m.from_ for m in fake.sent} == {BOT_NUMBER}


async def test_without_the_bots_number_nothing_is_sent_later_the_webhook_waits(
    start, slow_search, fake_twilio
) -> None:
    fake, _ = fake_twilio
    client, _ = await start(limits={"reply_budget_seconds": 0.1}, twilio={"whatsapp_number": ""})
    await ready(client, USER)
    slow_search.delay = 0.5
    status, body = await post_signed(client, "/webhook", inbound("SM2", "/def handler_/"))
    assert status == 200 and messages(body)[0].startswith("Found")  # in the response itself
    assert fake.sent == []
