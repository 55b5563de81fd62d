from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.access.senders import sender_key
from bot.errors import ConfigError
from bot.services import Services
from bot.web.app import create_app
from bot.web.logs import JsonFormatter, configure_logging, hash_key, user_hash
from tests.channels.fake_twilio import AUTH_TOKEN
from tests.web.conftest import inbound, post_signed, ready

USER = "whatsapp:+15551230001"
KEY = sender_key(USER)  # how the bot keys this sender


async def test_health_reports_database_search_and_llm(start) -> None:
    client, _ = await start()
    async with client.get("/health") as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["status"] == "ok"
    assert body["database"] == "connected"
    assert "search" in body and "llm" in body
    assert body["outbound_queue"] == 0


async def test_health_carries_the_time_the_database_and_the_ai_service(start) -> None:
    client, _ = await start()
    async with client.get("/health") as resp:
        body = await resp.json()
    stamped = dt.datetime.fromisoformat(body["timestamp"])
    assert abs((dt.datetime.now(dt.UTC) - stamped).total_seconds()) < 60
    assert body["database"] == "connected"
    assert body["ai_service"] == body["llm"]["state"]
    assert body["ai_service"] in ("ok", "degraded", "local_only")


async def test_health_is_503_when_the_database_is_unreachable(start) -> None:
    client, services = await start()
    await services.store.close()
    async with client.get("/health") as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body["status"] == "unavailable"
    assert body["database"].startswith("unreachable")


TOKEN = "operators-only-3f9a"


async def _get(client: TestClient, path: str, authorization: str | None) -> tuple[int, str, str]:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with client.get(path, headers=headers) as resp:
        return resp.status, await resp.text(), resp.headers.get("WWW-Authenticate", "")


async def test_in_production_metrics_and_health_details_need_the_operators_token(start) -> None:
    client, services = await start(env="production", server={"metrics_token": TOKEN})
    for wrong in (None, "", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer"):
        status, body, challenge = await _get(client, "/metrics", wrong)
        assert (status, challenge.startswith("Bearer")) == (401, True)
        assert "bot_messages" not in body
        status, body, _ = await _get(client, "/health", wrong)
        assert (status, json.loads(body)) == (200, {"status": "ok"})  # what a load balancer needs
    status, body, _ = await _get(client, "/metrics", f"Bearer {TOKEN}")
    assert status == 200 and "bot_messages_total" in body
    status, body, _ = await _get(client, "/health", f"bearer  {TOKEN} ")
    assert status == 200 and {"database", "search", "llm"} <= set(json.loads(body))
    await services.store.close()
    status, body, _ = await _get(client, "/health", None)
    assert (status, json.loads(body)) == (503, {"status": "unavailable"})


async def test_production_without_a_metrics_token_keeps_the_details_closed(
    start, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.web"):
        client, _ = await start(env="production")
    assert "metrics.locked" in caplog.messages
    for header in (None, "Bearer ", "Bearer  "):
        status, body, _ = await _get(client, "/metrics", header)
        assert status == 401 and "METRICS_TOKEN is not set" in body
    status, body, _ = await _get(client, "/health", "Bearer ")
    assert json.loads(body) == {"status": "ok"}


async def test_a_metrics_token_set_in_development_is_required_too(start) -> None:
    client, _ = await start(env="development", server={"metrics_token": TOKEN})
    assert (await _get(client, "/metrics", None))[0] == 401
    assert (await _get(client, "/metrics", f"Bearer {TOKEN}"))[0] == 200


async def test_metrics_count_messages_and_latency_in_prometheus_format(start) -> None:
    client, _ = await start()
    await post_signed(client, "/webhook", inbound("SM1", "hi"))
    await post_signed(client, "/webhook", inbound("SM1", "hi"))
    await post_signed(client, "/webhook", inbound("SM2", "hi"), token="forged")
    async with client.get("/metrics") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/plain"
        text = await resp.text()
    assert 'bot_messages_total{outcome="replied"} 1.0' in text
    assert 'bot_messages_total{outcome="duplicate"} 1.0' in text
    assert 'bot_requests_rejected_total{reason="signature"} 1.0' in text
    assert "bot_webhook_seconds_count 3.0" in text
    assert "bot_turn_seconds_count 1.0" in text
    assert "bot_active_sessions 1.0" in text
    assert "bot_outbound_queue 0.0" in text


async def test_metrics_in_json_when_asked_for_json(start) -> None:
    client, _ = await start()
    await post_signed(client, "/webhook", inbound("SM1", "hi"))
    await post_signed(client, "/webhook", inbound("SM1", "hi"))  # a duplicate runs no turn
    await post_signed(client, "/webhook", inbound("SM2", "help"))
    async with client.get("/metrics", headers={"Accept": "application/json"}) as resp:
        assert resp.content_type == "application/json"
        body = await resp.json()
    assert set(body) == {
        "active_sessions", "messages_processed", "average_response_time", "error_rate"
    }  # fmt: skip
    assert (body["active_sessions"], body["messages_processed"], body["error_rate"]) == (1, 2, 0.0)
    assert 0 < body["average_response_time"] < 30
    scraper = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.5"
    for accept in (scraper, "application/json;q=0", "*/*", ""):
        async with client.get("/metrics", headers={"Accept": accept}) as resp:
            assert resp.content_type == "text/plain", accept
            assert "bot_turns_total 2.0" in await resp.text()


async def test_metrics_in_json_need_the_operators_token_too(start) -> None:
    client, _ = await start(env="production", server={"metrics_token": TOKEN})
    json_only = {"Accept": "application/json"}
    async with client.get("/metrics", headers=json_only) as resp:
        assert resp.status == 401 and "messages_processed" not in await resp.text()
    headers = {**json_only, "Authorization": f"Bearer {TOKEN}"}
    async with client.get("/metrics", headers=headers) as resp:
        body = await resp.json()
    assert (body["messages_processed"], body["average_response_time"]) == (0, None)


async def test_status_callbacks_are_recorded_idempotently_and_out_of_order(start) -> None:
    client, services = await start()

    async def callback(status: str) -> int:
        fields = {"MessageSid": "SMout1", "MessageStatus": status, "AccountSid": "AC1"}
        code, body = await post_signed(client, "/status", fields)
        assert body  # never an empty body
        return code

    assert await callback("sent") == 200
    assert await callback("delivered") == 200
    assert await callback("sent") == 200  # late and older: ignored
    assert await callback("delivered") == 200  # repeated
    assert await services.store.message_status("SMout1") == "delivered"
    assert await callback("read") == 200
    assert await services.store.message_status("SMout1") == "read"


async def test_status_callbacks_need_a_valid_signature_and_fields(start) -> None:
    client, services = await start()
    fields = {"MessageSid": "SMout1", "MessageStatus": "failed"}
    assert (await post_signed(client, "/status", fields, token="forged"))[0] == 403
    assert await services.store.message_status("SMout1") is None
    assert (await post_signed(client, "/status", {"MessageSid": "SMout1"}))[0] == 400


async def test_production_refuses_to_start_without_a_twilio_auth_token(make_settings) -> None:
    settings = make_settings(env="production", twilio={"auth_token": ""})
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        create_app(settings)
    settings = make_settings(env="production", server={"public_base_url": ""})
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        create_app(settings)


@pytest.mark.parametrize(
    ("sections", "setting"),
    [
        ({"twilio": {"auth_token": " "}}, "TWILIO_AUTH_TOKEN"),
        ({"twilio": {"auth_token": "\t\n"}}, "TWILIO_AUTH_TOKEN"),
        ({"twilio": {"auth_token": AUTH_TOKEN + " "}}, "TWILIO_AUTH_TOKEN"),
        ({"server": {"public_base_url": "http://bot.example.com"}}, "PUBLIC_BASE_URL"),
        ({"server": {"public_base_url": "bot.example.com"}}, "PUBLIC_BASE_URL"),
        ({"server": {"public_base_url": "https://"}}, "PUBLIC_BASE_URL"),
        ({"twilio": {"account_sid": ""}}, "TWILIO_ACCOUNT_SID"),
        ({"twilio": {"account_sid": "  "}}, "TWILIO_ACCOUNT_SID"),
        ({"twilio": {"account_sid": "SK" + "0" * 32}}, "TWILIO_ACCOUNT_SID"),
    ],
)
async def test_production_refuses_each_unsafe_setting_by_name(
    make_settings, sections: dict[str, dict[str, str]], setting: str
) -> None:
    settings = make_settings(env="production", **sections)
    with pytest.raises(ConfigError, match=setting):
        create_app(settings)


async def test_production_starts_when_twilio_is_set_up_or_rest_delivery_is_off(
    make_settings,
) -> None:
    assert create_app(make_settings(env="production"))
    inline_only = make_settings(
        env="production", twilio={"account_sid": "", "rest_delivery": "false"}
    )
    assert create_app(inline_only)


async def test_without_a_token_in_development_unsigned_requests_pass_after_a_warning(
    start, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.web"):
        client, _ = await start(env="development", twilio={"auth_token": ""})
    assert "webhook.verification_off" in caplog.messages
    async with client.post("/webhook", data=inbound("SM1", "hi")) as resp:
        assert resp.status == 200
        assert "<Message>" in await resp.text()


async def test_shutdown_delivers_replies_still_in_flight(
    make_settings, slow_search, fake_twilio
) -> None:
    fake, _ = fake_twilio
    settings = make_settings(limits={"reply_budget_seconds": 0.05, "outbound_timeout_seconds": 2})
    services = await Services.create(settings, actions=slow_search, watch_flows=False)
    client = TestClient(TestServer(create_app(settings, services=services)))
    await client.start_server()
    try:
        await ready(client, USER)
        slow_search.delay = 0.4
        status, body = await post_signed(client, "/webhook", inbound("SM9", "/def handler_/"))
        assert (status, "<Message>" in body) == (200, False)
    finally:
        await client.close()  # stops the server: the outbox drains before the sender closes
    try:
        assert fake.sent and fake.sent[0].body.startswith("Found")
    finally:
        await services.close()


async def test_a_turn_cut_short_by_shutdown_is_finished_at_the_next_start(
    make_settings, slow_search, fake_twilio
) -> None:
    fake, _ = fake_twilio
    settings = make_settings(
        limits={"reply_budget_seconds": 0.05, "outbound_timeout_seconds": 0.2},
        storage={"reclaim_after_seconds": 0.5},
    )
    services = await Services.create(settings, actions=slow_search, watch_flows=False)
    client = TestClient(TestServer(create_app(settings, services=services)))
    await client.start_server()
    try:
        await ready(client, USER)
        slow_search.delay = 5.0
        status, body = await post_signed(client, "/webhook", inbound("SM9", "/def handler_/"))
        assert (status, "<Message>" in body) == (200, False)  # acknowledged, reply deferred
    finally:
        await client.close()  # the turn cannot finish within the grace period
        await services.close()
    # Nothing of the cut-short turn was sent (the setup's greeting may have gone by REST when
    # its own turn missed the tiny reply budget on a busy machine).
    assert not [m for m in fake.sent if m.body.startswith("Found")]
    slow_search.delay = 0.0
    services = await Services.create(settings, actions=slow_search, watch_flows=False)
    client = TestClient(TestServer(create_app(settings, services=services)))
    await client.start_server()
    try:
        for _ in range(100):
            if fake.sent:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.2)  # two more recovery rounds: nothing is sent twice
        rows = await services.store.history(KEY, limit=10)
    finally:
        await client.close()
        await services.close()
    assert [r.message_sid for r in rows].count("SM9") == 1
    assert len([m for m in fake.sent if m.body.startswith("Found")]) == 1


def test_logs_hash_phone_numbers_and_drop_text_in_production(make_settings) -> None:
    settings = make_settings(env="production")
    stream = io.StringIO()
    configure_logging(settings, stream=stream)
    try:
        user = user_hash(KEY, hash_key(settings))
        logging.getLogger("bot.web").info(
            "webhook.replied", extra={"fields": {"user": user, "text": "my secret code"}}
        )
    finally:
        logging.getLogger().handlers.clear()
    line = json.loads(stream.getvalue())
    assert line["event"] == "webhook.replied"
    assert line["user"] == user and "15551230001" not in stream.getvalue()
    assert "text" not in line and "secret" not in stream.getvalue()
    development = JsonFormatter(production=False)
    record = logging.LogRecord("bot.web", logging.INFO, "", 0, "e", (), None)
    record.fields = {"text": "hello"}
    assert json.loads(development.format(record))["text"] == "hello"


def test_log_lines_carry_extra_keys_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(production=True))
    log = logging.getLogger("bot.search.test")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("search.indexed", extra={"repo": "jinja2", "files": 25, "text": "private"})
    finally:
        log.removeHandler(handler)
        log.propagate = True
    line = json.loads(stream.getvalue())
    assert (line["event"], line["repo"], line["files"]) == ("search.indexed", "jinja2", 25)
    assert "text" not in line and "lineno" not in line


async def test_webhook_logs_never_carry_the_phone_number(start, caplog) -> None:
    client, _ = await start()
    with caplog.at_level(logging.DEBUG, logger="bot"):
        await post_signed(client, "/webhook", inbound("SM1", "hi"))
        await post_signed(client, "/webhook", inbound("SM1", "hi"))
    records = [r for r in caplog.records if r.name == "bot.web"]
    assert records
    for record in records:
        assert "15551230001" not in json.dumps(getattr(record, "fields", {}))


async def test_turns_keep_going_while_others_wait(start) -> None:
    client, _ = await start()
    answers = await asyncio.gather(
        *(
            post_signed(client, "/webhook", inbound(f"SM{i}", "hi", f"whatsapp:+1555{i:07d}"))
            for i in range(20)
        )
    )
    assert all(status == 200 and "<Message>" in body for status, body in answers)


async def test_an_app_that_opens_its_own_services_times_searches(
    aiohttp_client, make_settings
) -> None:
    client = await aiohttp_client(create_app(make_settings(flows={"reload": False})))
    await ready(client, USER)
    status, body = await post_signed(client, "/webhook", inbound("SMq", "/def handler_/"))
    assert status == 200 and "handler_" in body
    async with client.get("/metrics") as resp:
        text = await resp.text()
    assert "bot_search_seconds_count 1.0" in text
    async with client.get("/health") as resp:
        assert resp.status == 200


async def test_a_status_callback_error_code_is_read_strictly(start) -> None:
    client, services = await start()
    fields = {"MessageSid": "SMout1", "MessageStatus": "failed"}
    for code in ("²", "9" * 5000, "-1", "63016x", "6.3"):
        status, body = await post_signed(client, "/status", {**fields, "ErrorCode": code})
        assert status == 400 and body.startswith("Malformed request: ErrorCode must be a ")
    assert await services.store.message_status("SMout1") is None
    assert (await post_signed(client, "/status", {**fields, "ErrorCode": "63016"}))[0] == 200
    assert await services.store.message_status("SMout1") == "failed"


def test_without_an_auth_token_senders_are_hashed_with_a_random_private_key(
    make_settings, tmp_path
) -> None:
    settings = make_settings(env="development", twilio={"auth_token": ""})
    key = hash_key(settings)
    path = tmp_path / "data" / "sender-hash.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o077 == 0
    assert hash_key(settings) == key  # kept: the same sender keeps the same pseudonym
    # A constant key would let anyone with the logs hash every number and look it up.
    assert user_hash(USER, key) != user_hash(USER, b"codechat-user:")
    other = make_settings(
        storage={"hash_key_file": str(tmp_path / "other.key")}, twilio={"auth_token": ""}
    )
    assert hash_key(other) != key
    path.chmod(0o644)
    assert hash_key(settings) == key and path.stat().st_mode & 0o777 == 0o600
    path.write_text("not a key\n")
    with pytest.raises(ConfigError, match=r"storage\.hash_key_file"):
        hash_key(settings)
