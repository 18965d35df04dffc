"""LINE Login v2.1 in the emulator: authorize validation, logging in (and adding the account as
a friend), one-time codes, HS256 ID tokens and the verify endpoint's errors."""

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulator.config import DEFAULT_LOGIN_CHANNEL_ID, DEFAULT_LOGIN_CHANNEL_SECRET
from emulator.id_tokens import decode_id_token, encode_id_token

from .conftest import user

CALLBACK = "https://bot.example.com/join/callback"


def authorize_params(**overrides) -> dict:
    params = {
        "response_type": "code",
        "client_id": DEFAULT_LOGIN_CHANNEL_ID,
        "redirect_uri": CALLBACK,
        "state": "st4te",
        "scope": "openid profile",
        "nonce": "n0nce",
        "bot_prompt": "aggressive",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def query(location: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
async def anonymous(base_url):
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
        yield http


async def log_in(http, *, user_id=None, add_friend=True, **params) -> dict:
    body = authorize_params(**params) | {"user_id": user_id or user(1), "add_friend": add_friend}
    response = await http.post("/emulator/login", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def token(http, code: str, **overrides) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": DEFAULT_LOGIN_CHANNEL_ID,
        "client_secret": DEFAULT_LOGIN_CHANNEL_SECRET,
    } | overrides
    return await http.post("/oauth2/v2.1/token", data=form)


async def id_token_for(http, **login) -> str:
    code = query((await log_in(http, **login))["location"])["code"]
    answer = await token(http, code)
    assert answer.status_code == 200, answer.text
    return answer.json()["id_token"]


# --- authorize ------------------------------------------------------------------------------


async def test_authorize_renders_the_login_page(anonymous, state):
    response = await anonymous.get("/oauth2/v2.1/authorize", params=authorize_params())
    assert response.status_code == 200
    page = response.text
    assert 'action="/emulator/login"' in page
    assert 'name="user_id"' in page and 'name="add_friend"' in page
    assert f'name="redirect_uri" value="{CALLBACK}"' in page
    assert 'name="nonce" value="n0nce"' in page
    assert state.calls["authorize"] == 1


async def test_authorize_without_bot_prompt_offers_no_friend_option(anonymous, state):
    params = authorize_params(bot_prompt=None)
    response = await anonymous.get("/oauth2/v2.1/authorize", params=params)
    assert response.status_code == 200 and 'name="add_friend"' not in response.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client_id": None}, "client_id is required"),
        ({"client_id": "999"}, "Invalid client_id"),
        ({"redirect_uri": None}, "redirect_uri is required"),
        ({"redirect_uri": "/relative"}, "Invalid redirect_uri"),
        ({"redirect_uri": "ftp://x.example/cb"}, "Invalid redirect_uri"),
    ],
)
async def test_authorize_shows_an_error_instead_of_redirecting(
    anonymous, state, overrides, message
):
    response = await anonymous.get("/oauth2/v2.1/authorize", params=authorize_params(**overrides))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert message in response.text


async def test_authorize_checks_registered_callback_urls(anonymous, state):
    state.config.login_callback_urls = ("https://other.example/cb",)
    response = await anonymous.get("/oauth2/v2.1/authorize", params=authorize_params())
    assert response.status_code == 400 and "registered" in response.text
    state.config.login_callback_urls = (CALLBACK,)
    response = await anonymous.get("/oauth2/v2.1/authorize", params=authorize_params())
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"scope": None}, "invalid_scope"),
        ({"scope": "openid friends"}, "invalid_scope"),
        ({"bot_prompt": "sometimes"}, "invalid_request"),
    ],
)
async def test_authorize_sends_other_errors_back_to_the_callback(
    anonymous, state, overrides, error
):
    response = await anonymous.get("/oauth2/v2.1/authorize", params=authorize_params(**overrides))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "?")
    got = query(location)
    assert got["error"] == error and got["error_description"] and got["state"] == "st4te"


async def test_authorize_without_state_is_an_invalid_request(anonymous, state):
    response = await anonymous.get("/oauth2/v2.1/authorize", params=authorize_params(state=None))
    assert response.status_code == 302
    got = query(response.headers["location"])
    assert got["error"] == "invalid_request" and "state" not in got


# --- logging in ---------------------------------------------------------------------------


async def test_login_with_add_friend_follows_with_a_signed_webhook(anonymous, state, receiver):
    answer = await log_in(anonymous, language="ja", display_name="Sato")
    location = answer["location"]
    assert location.startswith(CALLBACK + "?code=")
    got = query(location)
    assert got["state"] == "st4te" and got["friendship_status_changed"] == "true"
    assert list(got) == ["code", "state", "friendship_status_changed"]
    assert answer["follow"]["webhook_status"] == 200
    assert state.users[user(1)].state == "friend"
    assert state.users[user(1)].language == "ja"
    ((headers, raw),) = receiver.requests
    (event,) = json.loads(raw)["events"]
    assert event["type"] == "follow" and event["source"]["userId"] == user(1)

    again = await log_in(anonymous)  # already a friend: nothing changes, no webhook
    assert query(again["location"])["friendship_status_changed"] == "false"
    assert again["follow"] is None and len(receiver.requests) == 1


async def test_login_unblocks_a_user_who_had_blocked(anonymous, state, receiver):
    state.follow(user(1))
    state.unfollow(user(1))
    answer = await log_in(anonymous)
    assert query(answer["location"])["friendship_status_changed"] == "true"
    assert answer["follow"]["event"]["follow"] == {"isUnblocked": True}


async def test_login_without_add_friend_or_bot_prompt_does_not_follow(anonymous, state, receiver):
    answer = await log_in(anonymous, add_friend=False)
    assert query(answer["location"])["friendship_status_changed"] == "false"
    answer = await log_in(anonymous, user_id=user(2), bot_prompt=None)
    assert "friendship_status_changed" not in query(answer["location"])
    assert state.users == {} and receiver.requests == []


async def test_login_form_post_redirects(anonymous, state):
    form = authorize_params() | {"user_id": user(3), "add_friend": "true"}
    response = await anonymous.post("/emulator/login", data=form)
    assert response.status_code == 302
    got = query(response.headers["location"])
    assert got["friendship_status_changed"] == "true" and got["code"]


async def test_cancel_is_access_denied(anonymous, state):
    body = authorize_params() | {"user_id": user(1), "cancel": True}
    answer = (await anonymous.post("/emulator/login", json=body)).json()
    got = query(answer["location"])
    assert got["error"] == "access_denied" and got["state"] == "st4te"
    assert "code" not in got and state.users == {}


async def test_login_validates_like_authorize_and_checks_the_user(anonymous, state):
    body = authorize_params(client_id="nope") | {"user_id": user(1)}
    assert (await anonymous.post("/emulator/login", json=body)).status_code == 400
    body = authorize_params() | {"user_id": "someone"}
    assert (await anonymous.post("/emulator/login", json=body)).status_code == 422
    body = authorize_params() | {"user_id": user(1), "add_friend": "maybe"}
    assert (await anonymous.post("/emulator/login", json=body)).status_code == 422


# --- token -------------------------------------------------------------------------------


async def test_token_issues_an_hs256_id_token(anonymous, state):
    state.follow(user(1), display_name="Sato", picture_url="https://profile.example/p.png")
    code = query((await log_in(anonymous))["location"])["code"]
    response = await token(anonymous, code)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "expires_in",
        "id_token",
        "refresh_token",
        "scope",
        "token_type",
    }
    assert body["token_type"] == "Bearer" and body["scope"] == "openid profile"
    claims = decode_id_token(body["id_token"], DEFAULT_LOGIN_CHANNEL_SECRET)
    now = int(state.clock())
    assert claims == {
        "iss": "https://access.line.me",
        "sub": user(1),
        "aud": DEFAULT_LOGIN_CHANNEL_ID,
        "exp": now + 3600,
        "iat": now,
        "nonce": "n0nce",
        "amr": ["pwd"],
        "name": "Sato",
        "picture": "https://profile.example/p.png",
    }
    assert decode_id_token(body["id_token"], "another secret") is None


async def test_code_is_single_use(anonymous, state):
    code = query((await log_in(anonymous))["location"])["code"]
    assert (await token(anonymous, code)).status_code == 200
    reused = await token(anonymous, code)
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "invalid authorization code",
    }


async def test_code_expires_after_ten_minutes(anonymous, state):
    code = query((await log_in(anonymous))["location"])["code"]
    state.clock.now += 600
    answer = await token(anonymous, code)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": "1"}, "invalid_client"),
        ({"redirect_uri": "https://elsewhere.example/cb"}, "invalid_grant"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"code": "made-up"}, "invalid_grant"),
    ],
)
async def test_token_errors(anonymous, state, overrides, error):
    form = {"code": query((await log_in(anonymous))["location"])["code"]} | overrides
    answer = await token(anonymous, **form)
    assert answer.status_code == 400
    assert answer.json()["error"] == error and answer.json()["error_description"]
    assert state.calls["token"] == 1


async def test_token_wants_a_form(anonymous, state):
    answer = await anonymous.post("/oauth2/v2.1/token", json={"grant_type": "authorization_code"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


# --- verify -----------------------------------------------------------------------------


async def verify(http, id_token: str, **overrides) -> httpx.Response:
    form = {"id_token": id_token, "client_id": DEFAULT_LOGIN_CHANNEL_ID} | overrides
    return await http.post("/oauth2/v2.1/verify", data=form)


async def test_verify_answers_the_claims(anonymous, state):
    id_token = await id_token_for(anonymous)
    answer = await verify(anonymous, id_token, nonce="n0nce", user_id=user(1))
    assert answer.status_code == 200
    assert answer.json()["sub"] == user(1) and answer.json()["nonce"] == "n0nce"
    assert (await verify(anonymous, id_token)).status_code == 200  # nonce is optional


async def test_verify_errors(anonymous, state):
    id_token = await id_token_for(anonymous)
    header, payload, signature = id_token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}AA"
    cases = [
        (await verify(anonymous, tampered), "Invalid IdToken."),
        (await verify(anonymous, "not-a-jwt"), "Invalid IdToken."),
        (await verify(anonymous, id_token, client_id="42"), "Invalid IdToken Audience."),
        (await verify(anonymous, id_token, nonce="other"), "Invalid IdToken Nonce."),
        (await verify(anonymous, id_token, user_id=user(9)), "Invalid IdToken Subject Identifier."),
        (await verify(anonymous, ""), "id_token is required"),
    ]
    foreign = encode_id_token(
        {"iss": "https://evil.example", "sub": user(1), "aud": DEFAULT_LOGIN_CHANNEL_ID,
         "exp": int(state.clock()) + 60, "iat": int(state.clock())},
        DEFAULT_LOGIN_CHANNEL_SECRET,
    )  # fmt: skip
    cases.append((await verify(anonymous, foreign), "Invalid IdToken Issuer."))
    state.clock.now += 3600
    cases.append((await verify(anonymous, id_token), "IdToken expired."))
    for answer, description in cases:
        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid_request", "error_description": description}


async def test_profile_endpoint_has_language(client, state):
    state.follow(user(1), display_name="Sato", language="en", status_message="hi")
    body = (await client.get(f"/v2/bot/profile/{user(1)}")).json()
    assert body == {
        "userId": user(1),
        "displayName": "Sato",
        "statusMessage": "hi",
        "language": "en",
    }
    assert state.calls["profile"] == 1
