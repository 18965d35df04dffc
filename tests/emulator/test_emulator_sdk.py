"""The official SDK (linebot.v3.messaging.AsyncMessagingApi) talks to the emulator."""

import json

import pytest
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    MulticastRequest,
    PushMessageRequest,
    TextMessage,
)

from core.linemsg import to_sdk_messages
from emulator.line_api import RETRY_KEY_ACCEPTED

from .conftest import TOKEN, retry_key, user


@pytest.fixture
async def line(base_url):
    async with AsyncApiClient(Configuration(host=base_url, access_token=TOKEN)) as api_client:
        yield AsyncMessagingApi(api_client)


async def test_sdk_push_then_409_on_the_same_retry_key(line, state):
    state.follow(user(1), display_name="Tanaka")
    request = PushMessageRequest(to=user(1), messages=[TextMessage(text="Hello")])
    key = retry_key()

    response = await line.push_message_with_http_info(request, x_line_retry_key=key)
    assert response.status_code == 200
    assert response.data.sent_messages[0].id.isdigit()
    first_request_id = response.headers["x-line-request-id"]

    with pytest.raises(ApiException) as caught:
        await line.push_message(request, x_line_retry_key=key)
    assert caught.value.status == 409
    assert caught.value.headers["x-line-accepted-request-id"] == first_request_id
    body = json.loads(caught.value.body)
    assert body["message"] == RETRY_KEY_ACCEPTED
    assert body["sentMessages"][0]["id"] == response.data.sent_messages[0].id
    assert [(d.to, d.messages, d.delivered) for d in state.deliveries] == [
        (user(1), [{"type": "text", "text": "Hello"}], True)
    ]


async def test_sdk_sends_what_to_sdk_messages_built(line, state):
    state.follow(user(1))
    messages = [
        {
            "type": "text",
            "text": "hi",
            "quickReply": {
                "items": [
                    {
                        "type": "action",
                        "action": {"type": "uri", "label": "Go", "uri": "https://e.com"},
                    }
                ]
            },
        },
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
    ]
    await line.push_message(PushMessageRequest(to=user(1), messages=to_sdk_messages(messages)))
    assert state.deliveries[0].messages == messages


async def test_sdk_multicast_quota_and_profile(line, state):
    state.follow(user(1), display_name="Sato", language="ja")
    state.monthly_quota = 1000
    await line.multicast(MulticastRequest(to=[user(1), user(2)], messages=[TextMessage(text="x")]))
    assert [d.delivered for d in state.deliveries] == [True, False]

    quota = await line.get_message_quota()
    assert (quota.type, quota.value) == ("limited", 1000)
    assert (await line.get_message_quota_consumption()).total_usage == 1
    profile = await line.get_profile(user(1))
    assert (profile.user_id, profile.display_name, profile.language) == (user(1), "Sato", "ja")
    with pytest.raises(ApiException) as caught:
        await line.get_profile(user(2))
    assert caught.value.status == 404


async def test_sdk_sees_bad_token_as_401(base_url):
    config = Configuration(host=base_url, access_token="not-the-token")
    async with AsyncApiClient(config) as api_client:
        with pytest.raises(ApiException) as caught:
            await AsyncMessagingApi(api_client).get_message_quota()
    assert caught.value.status == 401
