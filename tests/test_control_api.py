"""Accounts and plans over the studio's real HTTP API (SQLite under the data directory)."""

from __future__ import annotations

import httpx
import pytest

from config import Settings
from tests.support.control import change_plan
from tests.support.studio import running_studio, sign_up

PASSWORD = "correct horse battery"


async def test_sign_up_signs_in_with_an_http_only_cookie_the_page_never_reads(
    settings: Settings,
) -> None:
    async with running_studio(settings) as studio:
        signup = await studio.api.post(
            "/auth/signup", json={"email": "New@Example.com", "password": PASSWORD}
        )
        assert signup.status_code == 201, signup.text
        assert "token" not in signup.json()  # the page's script never sees the session
        token = signup.cookies["vida_session"]
        cookie = signup.headers["set-cookie"]
        assert "vida_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie

        session = await studio.api.get("/auth/session")
        assert session.json()["user"]["email"] == "new@example.com"
        me = await studio.api.get("/me")  # the client kept the cookie, as a browser does
        assert me.status_code == 200, me.text
        body = me.json()
        assert body["user"]["email"] == "new@example.com" and body["user"]["role"] == "user"
        assert body["plan"]["id"] == "free" and body["plan"]["weekly_stream_minutes"] == 15
        assert body["minutes"]["remaining_s"] == 15 * 60
        assert body["minutes"]["resets_at"].endswith("T00:00:00Z")

        async with httpx.AsyncClient(base_url=studio.base_url) as api_client:
            assert (await api_client.get("/me")).status_code == 401
            # The page's question: signed out is an answer, not an error.
            assert (await api_client.get("/auth/session")).json() == {"user": None}
            bearer = {"Authorization": f"Bearer {token}"}  # a session is not an API key
            refused = await api_client.get("/me", headers=bearer)
            assert refused.status_code == 401 and "API key" in refused.json()["error"]["message"]
            api_client.cookies.set("vida_session", token)  # a second tab of the session
            assert (await api_client.get("/me")).status_code == 200
            assert (await api_client.post("/auth/logout")).status_code == 204
            gone = await studio.api.get("/me")  # logging out ended it in every tab
            assert gone.status_code == 401 and gone.json()["error"]["code"] == "not_signed_in"

        again = await studio.api.post(
            "/auth/signup", json={"email": "new@example.com", "password": PASSWORD}
        )
        assert again.status_code == 409 and again.json()["error"]["code"] == "email_taken"
        weak = await studio.api.post(
            "/auth/signup", json={"email": "weak@example.com", "password": "short"}
        )
        assert weak.status_code == 422 and "at least 10 characters" in weak.text


async def test_wrong_passwords_get_401_then_429_with_retry_after(settings: Settings) -> None:
    async with running_studio(settings) as studio:
        await studio.api.post("/auth/signup", json={"email": "a@example.com", "password": PASSWORD})
        wrong = {"email": "a@example.com", "password": "not the password"}
        for _ in range(5):
            answer = await studio.api.post("/auth/login", json=wrong)
            assert answer.status_code == 401
            assert answer.json()["error"]["message"] == "wrong e-mail address or password"
        limited = await studio.api.post(
            "/auth/login", json={"email": "a@example.com", "password": PASSWORD}
        )
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 0 < int(limited.headers["retry-after"]) <= 900


async def test_the_plan_catalogue_is_public_and_complete(settings: Settings) -> None:
    async with running_studio(settings) as studio:
        plans = (await studio.api.get("/plans")).json()["plans"]
    assert [p["id"] for p in plans] == ["free", "reply_guy", "spartan", "zeus", "goat"]
    free = plans[0]
    assert (free["weekly_stream_minutes"], free["max_avatars"], free["price_usd"]) == (15, 1, 0)
    for limit in ("weekly_stream_minutes", "max_avatars", "max_concurrent_streams", "max_bones"):
        values = [p[limit] for p in plans]
        assert values == sorted(values), limit  # limits rise with the price
    assert plans[-1]["white_label"] and not free["white_label"]


@pytest.mark.parametrize("bad", ["plans.toml missing a field", "an unknown plan"])
def test_a_broken_catalogue_is_refused_with_what_is_wrong(bad: str) -> None:
    from importlib import resources

    from control.plans import PlanError, parse_catalogue

    text = resources.files("config").joinpath("plans.toml").read_text("utf-8")
    if bad.startswith("plans.toml"):
        text = text.replace("white_label = true\n", "", 1)
        match = r"plan 'goat': missing \['white_label'\]"
    else:
        text += '\n[plans.platinum]\nname = "P"\n'
        match = "plan 'platinum': missing"
    with pytest.raises(PlanError, match=match):
        parse_catalogue(text)


PUBLIC = {
    ("GET", "/api/v1/config"),
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/plans"),
    ("GET", "/api/v1/auth/session"),
    ("POST", "/api/v1/auth/signup"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
}


async def test_every_other_endpoint_needs_a_signed_in_account(settings: Settings) -> None:
    """Walks the app's own OpenAPI description, so an endpoint added later is covered too."""
    async with running_studio(settings) as studio, studio.client() as anonymous:
        checked = 0
        for route, operations in studio.app.openapi()["paths"].items():
            for method in operations:
                if (method.upper(), route) in PUBLIC:
                    continue
                path = route.removeprefix("/api/v1").replace("{", "").replace("}", "")
                path = "/".join("1" if part.endswith("_id") else part for part in path.split("/"))
                answer = await anonymous.request(method.upper(), path, json={})
                assert answer.status_code == 401, (method, route, answer.text)
                assert answer.json()["error"]["code"] == "not_signed_in"
                checked += 1
    assert checked >= 25  # sessions, destinations, avatars, admin, me


async def test_a_subscriber_turns_renewal_off_and_on(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as api:
        await sign_up(api, "subscriber@example.com")
        assert (await api.get("/me/subscription")).json() == {"subscription": None}
        free = await api.patch("/me/subscription", json={"auto_renew": False})
        assert free.status_code == 409 and free.json()["error"]["code"] == "no_subscription"
        assert "Free plan" in free.json()["error"]["message"]
        change_plan(settings.database, "subscriber@example.com", "zeus")
        renewing = (await api.get("/me/subscription")).json()["subscription"]
        assert renewing["plan"] == "zeus" and renewing["auto_renew"] is True
        assert renewing["renews_at"] and renewing["ends_at"] is None
        off = await api.patch("/me/subscription", json={"auto_renew": False})
        assert off.status_code == 200, off.text
        assert off.json()["subscription"]["ends_at"] == renewing["renews_at"]
        me = (await api.get("/me")).json()
        assert me["plan"]["id"] == "zeus" and me["subscription"]["auto_renew"] is False
        bad = await api.patch("/me/subscription", json={"auto_renew": "perhaps"})
        assert bad.status_code == 422 and "auto_renew" in bad.text


async def test_api_keys_come_with_the_plan_and_stop_with_it(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as page:
        await sign_up(page, "scripter@example.com")
        free = await page.post("/me/api-keys", json={"name": "chat bot"})
        assert free.status_code == 403 and free.json()["error"]["code"] == "plan_lacks_feature"
        assert "Spartan" in free.json()["error"]["message"]
        change_plan(settings.database, "scripter@example.com", "spartan")
        made = await page.post("/me/api-keys", json={"name": "chat bot"})
        assert made.status_code == 201, made.text
        key = made.json()["key"]
        assert key.startswith("vida_") and made.json()["shown"] == key[:12] + "…"
        listed = (await page.get("/me/api-keys")).json()
        assert listed["total"] == 1 and key not in str(listed)
        assert listed["items"][0]["last_used_at"] is None

        async with httpx.AsyncClient(
            base_url=studio.base_url, headers={"Authorization": f"Bearer {key}"}
        ) as script:
            me = await script.get("/me")
            assert me.status_code == 200 and me.json()["user"]["email"] == "scripter@example.com"
            more = await script.post("/me/api-keys", json={"name": "leaked key's own"})
            assert more.status_code == 403 and more.json()["error"]["code"] == "page_only"
            assert (await page.get("/me/api-keys")).json()["items"][0]["last_used_at"]
            change_plan(settings.database, "scripter@example.com", "free")  # at once
            stopped = await script.get("/me")
            assert stopped.status_code == 403 and "no API access" in stopped.text
            change_plan(settings.database, "scripter@example.com", "spartan")
            assert (await script.get("/me")).status_code == 200
            key_id = listed["items"][0]["id"]
            async with studio.client() as other:
                await sign_up(other, "other@example.com")
                theirs = await other.delete(f"/me/api-keys/{key_id}")
                assert theirs.status_code == 404
            assert (await page.delete(f"/me/api-keys/{key_id}")).status_code == 204
            revoked = await script.get("/me")
            assert revoked.status_code == 401 and "not valid" in revoked.text
        empty = await page.post("/me/api-keys", json={"name": "  "})
        assert empty.status_code == 422 and "name the key" in empty.text


async def test_changing_the_password_signs_out_the_other_devices(settings: Settings) -> None:
    async with running_studio(settings) as studio, studio.client() as laptop:
        await sign_up(laptop, "mover@example.com")
        async with studio.client() as phone:
            login = {"email": "mover@example.com", "password": PASSWORD}
            assert (await phone.post("/auth/login", json=login)).status_code == 200
            change = {"current_password": "not it at all", "new_password": "a new long secret"}
            wrong = await laptop.post("/me/password", json=change)
            assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "wrong_password"
            change["current_password"] = PASSWORD
            short = await laptop.post("/me/password", json=change | {"new_password": "short"})
            assert short.status_code == 422 and "at least 10 characters" in short.text
            assert (await laptop.post("/me/password", json=change)).status_code == 204
            assert (await laptop.get("/me")).status_code == 200  # this device stays signed in
            assert (await phone.get("/me")).status_code == 401  # the other one is signed out
            old = await phone.post("/auth/login", json=login)
            assert old.status_code == 401
            new = await phone.post("/auth/login", json=login | {"password": "a new long secret"})
            assert new.status_code == 200
