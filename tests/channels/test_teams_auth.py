"""The Bot Framework token check against a local OpenID configuration and JWKS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.teams_auth import BotTokenValidator, KeysUnavailable, TokenRejected
from bot.channels.teams_token import ConnectorTokens
from bot.errors import DeliveryError
from tests.channels.fake_teams import APP_ID, APP_PASSWORD, FakeMicrosoft, SigningKey

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
async def microsoft(aiohttp_server: ServerFactory) -> FakeMicrosoft:
    fake = FakeMicrosoft()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def validator(
    microsoft: FakeMicrosoft, http: aiohttp.ClientSession, clock: Clock
) -> BotTokenValidator:
    return BotTokenValidator(
        app_id=APP_ID,
        openid_metadata_url=microsoft.openid_url,
        issuer="https://api.botframework.com",
        session=http,
        clock=clock,
    )


async def check(validator: BotTokenValidator, token: str, microsoft: FakeMicrosoft) -> None:
    await validator.validate(
        f"Bearer {token}", channel_id="msteams", service_url=microsoft.service_url
    )


async def test_a_token_made_as_bot_framework_makes_it_is_accepted(
    validator: BotTokenValidator, microsoft: FakeMicrosoft
) -> None:
    claims = await validator.validate(
        f"Bearer {microsoft.token()}", channel_id="msteams", service_url=microsoft.service_url
    )
    assert claims["aud"] == APP_ID
    assert claims["serviceurl"] == microsoft.service_url


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda ms: ms.token(key=SigningKey.make(kid=ms.keys[0].kid)), "bad signature"),
        (lambda ms: ms.token(issued_ago=4000, lifetime=3600), "expired"),
        (lambda ms: ms.token(audience="11111111-2222-4333-8444-555555555555"), "wrong audience"),
        (lambda ms: ms.token(issuer="https://sts.windows.net/evil/"), "wrong issuer"),
        (lambda ms: ms.token(key=SigningKey.make()), "unknown key"),
        (lambda ms: ms.token(service_url="https://attacker.example/"), "serviceurl"),
    ],
    ids=["forged", "expired", "wrong-audience", "wrong-issuer", "unknown-kid", "other-service"],
)
async def test_tokens_that_do_not_prove_bot_framework_are_rejected(
    validator: BotTokenValidator,
    microsoft: FakeMicrosoft,
    make: Callable[[FakeMicrosoft], str],
    reason: str,
) -> None:
    with pytest.raises(TokenRejected, match=reason):
        await check(validator, make(microsoft), microsoft)


async def test_expiry_allows_five_minutes_of_clock_skew(
    validator: BotTokenValidator, microsoft: FakeMicrosoft
) -> None:
    await check(validator, microsoft.token(issued_ago=3600 + 240), microsoft)
    with pytest.raises(TokenRejected, match="expired"):
        await check(validator, microsoft.token(issued_ago=3600 + 360), microsoft)


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
async def test_a_token_not_signed_with_rsa_is_rejected_before_any_key_is_looked_up(
    validator: BotTokenValidator, microsoft: FakeMicrosoft, algorithm: str
) -> None:
    claims = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": 2**31}
    key = APP_PASSWORD * 2 if algorithm == "HS256" else None  # an attacker knowing a secret
    token = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": microsoft.keys[0].kid})
    with pytest.raises(TokenRejected, match="RS256"):
        await check(validator, token, microsoft)
    assert microsoft.key_fetches == 0


@pytest.mark.parametrize("header", ["", "Basic abc", "Bearer ", "Bearer not-a-jwt"])
async def test_a_missing_or_unreadable_token_is_rejected(
    validator: BotTokenValidator, microsoft: FakeMicrosoft, header: str
) -> None:
    with pytest.raises(TokenRejected):
        await validator.validate(header, channel_id="msteams", service_url=microsoft.service_url)


async def test_a_key_not_endorsed_for_the_channel_is_refused(
    validator: BotTokenValidator, microsoft: FakeMicrosoft
) -> None:
    microsoft.keys[0].endorsements = ("webchat",)
    with pytest.raises(TokenRejected, match="not endorsed"):
        await check(validator, microsoft.token(), microsoft)


@pytest.mark.parametrize("endorsements", [(), None], ids=["empty", "absent"])
async def test_a_key_with_no_endorsements_is_refused(
    validator: BotTokenValidator, microsoft: FakeMicrosoft, endorsements: tuple[str, ...] | None
) -> None:
    microsoft.keys[0].endorsements = endorsements
    with pytest.raises(TokenRejected, match="not endorsed"):
        await check(validator, microsoft.token(), microsoft)


async def test_rotated_keys_are_fetched_when_a_token_names_a_new_one(
    validator: BotTokenValidator, microsoft: FakeMicrosoft, clock: Clock
) -> None:
    await check(validator, microsoft.token(), microsoft)
    fresh = SigningKey.make()
    microsoft.keys.append(fresh)
    # Within the minimum interval an unknown key costs no fetch: forged kids cannot flood it.
    with pytest.raises(TokenRejected, match="unknown key"):
        await check(validator, microsoft.token(key=fresh), microsoft)
    assert microsoft.key_fetches == 1
    clock.now += 301
    await check(validator, microsoft.token(key=fresh), microsoft)
    assert microsoft.key_fetches == 2
    await check(validator, microsoft.token(), microsoft)  # cached: no fetch
    assert microsoft.key_fetches == 2


async def test_unreachable_keys_are_a_service_problem_not_a_forgery(
    microsoft: FakeMicrosoft, http: aiohttp.ClientSession
) -> None:
    validator = BotTokenValidator(
        app_id=APP_ID,
        openid_metadata_url=microsoft.base_url + "/missing",
        issuer="https://api.botframework.com",
        session=http,
    )
    with pytest.raises(KeysUnavailable):
        await check(validator, microsoft.token(), microsoft)


async def test_the_connector_token_is_fetched_once_and_reused(
    microsoft: FakeMicrosoft, http: aiohttp.ClientSession, clock: Clock
) -> None:
    tokens = ConnectorTokens(
        app_id=APP_ID,
        app_password=APP_PASSWORD,
        token_url=microsoft.token_url,
        session=http,
        clock=clock,
    )
    first = await tokens.token()
    assert first in microsoft.issued
    assert await tokens.token() == first
    assert len(microsoft.token_requests) == 1
    assert microsoft.token_requests[0]["scope"] == "https://api.botframework.com/.default"
    clock.now += 3599 - 300  # five minutes before it expires: a new one
    assert await tokens.token() != first
    assert len(microsoft.token_requests) == 2


async def test_a_wrong_password_gets_no_connector_token(
    microsoft: FakeMicrosoft, http: aiohttp.ClientSession
) -> None:
    tokens = ConnectorTokens(
        app_id=APP_ID, app_password="wrong", token_url=microsoft.token_url, session=http
    )
    with pytest.raises(DeliveryError, match="HTTP 401 invalid_client"):
        await tokens.token()


async def test_a_failing_key_endpoint_is_not_fetched_on_every_request(
    aiohttp_server: ServerFactory,
    microsoft: FakeMicrosoft,
    http: aiohttp.ClientSession,
    clock: Clock,
) -> None:
    asked: list[str] = []
    back: list[bool] = []

    async def down(request: web.Request) -> web.Response:
        asked.append(request.path)
        if back:
            return web.json_response({"jwks_uri": f"{microsoft.base_url}/v1/.well-known/keys"})
        return web.Response(status=503)

    app = web.Application()
    app.router.add_get("/openid", down)
    server = await aiohttp_server(app)
    validator = BotTokenValidator(
        app_id=APP_ID,
        openid_metadata_url=str(server.make_url("/openid")),
        issuer="https://api.botframework.com",
        session=http,
        clock=clock,
    )
    for _ in range(20):  # a burst of requests (forged or not) while Microsoft is down
        with pytest.raises(KeysUnavailable):
            await check(validator, microsoft.token(), microsoft)
    assert len(asked) == 1
    clock.now += 10
    with pytest.raises(KeysUnavailable):
        await check(validator, microsoft.token(), microsoft)
    assert len(asked) == 2  # tried again after the back-off, which then doubles
    clock.now += 10
    with pytest.raises(KeysUnavailable):
        await check(validator, microsoft.token(), microsoft)
    assert len(asked) == 2
    back.append(True)  # Microsoft is back
    clock.now += 10
    await check(validator, microsoft.token(), microsoft)
