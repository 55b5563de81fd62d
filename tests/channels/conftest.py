from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.channels.fake_twilio import FakeTwilio

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
async def fake_twilio(aiohttp_server: ServerFactory) -> AsyncIterator[tuple[FakeTwilio, str]]:
    fake = FakeTwilio()
    server = await aiohttp_server(fake.app())
    yield fake, str(server.make_url("")).rstrip("/")
