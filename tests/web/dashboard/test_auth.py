"""Who gets into /dashboard: off without a login configured, a password, CSRF on every form,
sessions that end, bad logins slowed down."""

from __future__ import annotations

from typing import Any

from bot.web.dashboard.passwords import hash_password
from bot.web.dashboard.sessions import COOKIE, Sessions, signing_key
from tests.web.dashboard.helpers import PASSWORD, form_token, login

ON = {"password": PASSWORD}


async def test_without_a_password_the_dashboard_does_not_exist(start: Any) -> None:
    client, _ = await start()
    for path in ("/dashboard", "/dashboard/", "/dashboard/login", "/dashboard/export"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 404, path


async def test_pages_lead_to_the_login_form_until_logged_in(start: Any) -> None:
    client, _ = await start(dashboard=ON)
    response = await client.get("/dashboard/conversations?window=24h", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/dashboard/login?next=")
    form = await client.get(response.headers["Location"])
    assert form.status == 200
    assert 'type="password"' in await form.text()
    assert "default-src 'none'" in form.headers["Content-Security-Policy"]


async def test_a_wrong_password_is_refused_and_sets_no_session(start: Any) -> None:
    client, _ = await start(dashboard=ON)
    response = await login(client, "not the password")
    assert response.status == 401
    assert "Wrong user name or password" in await response.text()
    assert COOKIE not in response.cookies
    assert (await client.get("/dashboard/", allow_redirects=False)).status == 303


async def test_the_right_password_opens_it_with_a_strict_http_only_cookie(start: Any) -> None:
    client, _ = await start(dashboard=ON)
    response = await login(client)
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard/"
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert not cookie["secure"]  # BOT_ENV=test: a browser would not send it over plain http
    assert cookie["path"] == "/dashboard"


async def test_in_production_the_session_cookie_is_secure(start: Any) -> None:
    client, _ = await start(env="production", dashboard=ON)
    page = await client.get("/dashboard/login")
    assert page.cookies["codechat_dashboard_login"]["secure"]
    # The test client speaks plain http, so it sends the secure login cookie back by hand.
    nonce = page.cookies["codechat_dashboard_login"].value
    response = await client.post(
        "/dashboard/login",
        data={"csrf": form_token(await page.text()), "password": PASSWORD},
        cookies={"codechat_dashboard_login": nonce},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.cookies[COOKIE]["secure"]


async def test_named_users_log_in_with_their_own_hashed_password(start: Any) -> None:
    users = [f"ada:{hash_password('ada-secret-pw')}", f"bob:{hash_password('bob-secret-pw')}"]
    client, _ = await start(dashboard={"users": users})
    assert (await login(client, "ada-secret-pw", user="bob")).status == 401
    assert (await login(client, "ada-secret-pw", user="nobody")).status == 401
    assert (await login(client, "bob-secret-pw", user="bob")).status == 303


async def test_a_login_without_or_with_a_forged_csrf_token_is_refused(start: Any) -> None:
    client, _ = await start(dashboard=ON)
    await client.get("/dashboard/login")  # sets the login cookie
    for token in ("", "0" * 64, "forged"):
        response = await client.post(
            "/dashboard/login", data={"csrf": token, "password": PASSWORD}, allow_redirects=False
        )
        assert response.status == 403
        assert "This form expired" in await response.text()
        assert COOKIE not in response.cookies


async def test_a_login_token_from_another_browser_is_refused(start: Any) -> None:
    client, _ = await start(dashboard=ON)
    # The attacker's own form and token, posted from the victim's browser (other login cookie).
    token = form_token(await (await client.get("/dashboard/login")).text())
    client.session.cookie_jar.clear()
    await client.get("/dashboard/login")
    response = await client.post(
        "/dashboard/login", data={"csrf": token, "password": PASSWORD}, allow_redirects=False
    )
    assert response.status == 403


async def test_logging_out_needs_the_token_and_locks_the_dashboard_again(start: Any) -> None:
    client, _ = await start(dashboard=ON)
    session = (await login(client)).cookies[COOKIE].value
    refused = await client.post("/dashboard/logout", data={"csrf": "forged"})
    assert refused.status == 403
    assert (await client.get("/dashboard/export", allow_redirects=False)).status == 200
    page = await client.get("/dashboard/export")
    out = await client.post(
        "/dashboard/logout", data={"csrf": form_token(await page.text())}, allow_redirects=False
    )
    assert out.status == 303
    assert (await client.get("/dashboard/export", allow_redirects=False)).status == 303
    # The old cookie, replayed, is no longer a session either.
    client.session.cookie_jar.update_cookies({COOKIE: session})
    assert (await client.get("/dashboard/export", allow_redirects=False)).status == 303


async def test_an_expired_or_tampered_session_cookie_is_not_a_session(start: Any) -> None:
    client, _ = await start(dashboard=ON)
    expired = Sessions(key=signing_key(PASSWORD, ()), lifetime_seconds=-1).issue("operator")[1]
    valid = Sessions(key=signing_key(PASSWORD, ()), lifetime_seconds=600).issue("operator")[1]
    body, _, signature = valid.partition(".")
    other_key = Sessions(key=signing_key("another password", ()), lifetime_seconds=600)
    for cookie in (expired, f"{body}.{'0' * len(signature)}", other_key.issue("operator")[1]):
        client.session.cookie_jar.update_cookies({COOKIE: cookie})
        response = await client.get("/dashboard/export", allow_redirects=False)
        assert response.status == 303, cookie
    client.session.cookie_jar.update_cookies({COOKIE: valid})
    assert (await client.get("/dashboard/export", allow_redirects=False)).status == 200


async def test_repeated_bad_logins_wait_even_with_the_right_password(start: Any) -> None:
    client, _ = await start(dashboard={**ON, "max_failures": 3})
    for _ in range(3):
        assert (await login(client, "guess")).status == 401
    blocked = await login(client)
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed logins" in await blocked.text()
    assert COOKIE not in blocked.cookies


async def test_after_login_it_goes_only_to_a_dashboard_page(start: Any) -> None:
    client, _ = await start(dashboard=ON)
    for target in ("https://evil.example/", "//evil.example/dashboard/", "/webhook"):
        page = await client.get("/dashboard/login")
        response = await client.post(
            "/dashboard/login",
            data={"csrf": form_token(await page.text()), "password": PASSWORD, "next": target},
            allow_redirects=False,
        )
        assert response.headers["Location"] == "/dashboard/", target
