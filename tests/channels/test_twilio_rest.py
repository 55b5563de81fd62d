from __future__ import annotations

import io
import json
import logging
import time

import pytest

from bot.channels.twilio_rest import RetryPolicy, TwilioSender
from bot.config import settings_from_mapping
from bot.errors import DeliveryError
from bot.web.logs import configure_logging
from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

FROM = "+14155238886"
USER = "whatsapp:+15551234567"


def _sender(base_url: str, *, token: str = AUTH_TOKEN, timeout: float = 2.0) -> TwilioSender:
    return TwilioSender(
        account_sid=ACCOUNT_SID,
        auth_token=token,
        from_number=FROM,
        timeout_seconds=timeout,
        api_base_url=base_url,
        status_callback_url="https://bot.example.com/status",
        retry=RetryPolicy(attempts=3, backoff_seconds=0.01),
    )


async def test_parts_are_sent_in_order_through_the_real_client(
    fake_twilio: tuple[FakeTwilio, str],
) -> None:
    fake, url = fake_twilio
    sender = _sender(url)
    try:
        sids = await sender.send(USER, ["part one", "part two", "part three"])
    finally:
        await sender.close()
    assert [m.body for m in fake.sent] == ["part one", "part two", "part three"]
    assert {m.to for m in fake.sent} == {USER}
    assert {m.from_ for m in fake.sent} == {"whatsapp:" + FROM}
    assert fake.sent[0].status_callback == "https://bot.example.com/status"
    assert sids == [m.sid for m in fake.sent]


async def test_a_refused_message_is_not_retried(fake_twilio: tuple[FakeTwilio, str]) -> None:
    fake, url = fake_twilio
    sender = _sender(url, token="wrong")
    try:
        with pytest.raises(DeliveryError, match="HTTP 401, code 20003") as info:
            await sender.send(USER, ["hello"])
    finally:
        await sender.close()
    assert fake.requests == 1
    assert not info.value.retryable


async def test_a_rate_limited_request_is_retried_because_nothing_was_created(
    fake_twilio: tuple[FakeTwilio, str],
) -> None:
    fake, url = fake_twilio
    fake.plan = [429]
    sender = _sender(url)
    try:
        await sender.send(USER, ["hello"])
    finally:
        await sender.close()
    assert fake.requests == 2
    assert [m.body for m in fake.sent] == ["hello"]


async def test_a_server_error_may_have_created_the_message_so_it_is_not_retried(
    fake_twilio: tuple[FakeTwilio, str],
) -> None:
    fake, url = fake_twilio
    fake.plan = [500]
    sender = _sender(url)
    try:
        with pytest.raises(DeliveryError, match="HTTP 500"):
            await sender.send(USER, ["hello"])
    finally:
        await sender.close()
    assert fake.requests == 1


async def test_a_slow_twilio_is_cut_off_at_the_timeout_and_not_retried(
    fake_twilio: tuple[FakeTwilio, str],
) -> None:
    fake, url = fake_twilio
    fake.plan = [3.0]
    sender = _sender(url, timeout=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(DeliveryError, match=r"within 0\.3s") as info:
            await sender.send(USER, ["hello", "never sent"])
    finally:
        await sender.close()
    assert time.monotonic() - started < 1.5
    assert info.value.maybe_sent
    assert fake.requests == 1


async def test_an_unreachable_api_is_retried_then_reported(unused_tcp_port: int) -> None:
    sender = _sender(f"http://127.0.0.1:{unused_tcp_port}")
    try:
        with pytest.raises(DeliveryError, match="cannot connect"):
            await sender.send(USER, ["hello"])
    finally:
        await sender.close()


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_rest_send_logs_json_lines_only_without_numbers_or_text(
    fake_twilio: tuple[FakeTwilio, str], level: str
) -> None:
    fake, url = fake_twilio
    stream = io.StringIO()
    configure_logging(
        settings_from_mapping({"env": "production", "log_level": level}), stream=stream
    )
    sender = _sender(url)
    try:
        await sender.send(USER, ["the secret part"])
    finally:
        await sender.close()
        logging.getLogger().handlers.clear()
    assert fake.sent
    every = [json.loads(line) for line in stream.getvalue().splitlines()]
    # The fake API's own access log is the test's server speaking, not the bot.
    lines = [line for line in every if line["logger"] != "aiohttp.access"]
    assert not [line for line in lines if line["logger"].startswith("twilio")]
    text = json.dumps(lines)
    for private in ("15551234567", "4155238886", "secret part", ACCOUNT_SID, AUTH_TOKEN):
        assert private not in text
    if level == "DEBUG":
        assert [line["event"] for line in lines] == ["outbound.http_status", "outbound.sent"]
