"""LINE_API_BASE_URL may point at any server that speaks LINE's documented push API, not only
our emulator: the same messages arrive exactly once each, and every request we make agrees with
LINE's OpenAPI document."""

import re
import uuid
from contextlib import AsyncExitStack

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from core.serve import serving
from line.client import LinePusher
from tests.support.line_contract import problems
from tests.support.stack import ACCESS_TOKEN, user
from worker import create_worker

SCENARIO = {
    "name": "plain LINE",
    "trigger": {"type": "follow"},
    "steps": [
        {
            "id": "one",
            "type": "message",
            "messages": [
                {"type": "text", "text": "One"},
                {"type": "sticker", "packageId": "446", "stickerId": "1988"},
            ],
        },
        {"id": "wait", "type": "wait", "duration": "PT1H"},
        {
            "id": "two",
            "type": "message",
            "messages": [
                {
                    "type": "image",
                    "originalContentUrl": "https://example.com/a.jpg",
                    "previewImageUrl": "https://example.com/a-s.jpg",
                },
                {
                    "type": "template",
                    "altText": "Book",
                    "template": {
                        "type": "buttons",
                        "text": "Book a visit?",
                        "actions": [
                            {"type": "uri", "label": "Book", "uri": "https://example.com/book"}
                        ],
                    },
                },
            ],
        },
    ],
}


def plain_line_server(log: list[dict], flaky: dict) -> FastAPI:
    """Only what LINE documents for push: 200 with sentMessages, 409 for a repeated retry key.
    The first request for each key answers 500 after accepting it (LINE says a 5xx may still
    have delivered) — the retry must then be a 409, never a second message."""
    app = FastAPI()
    accepted: dict[str, str] = {}

    @app.post("/v2/bot/message/push")
    async def push(request: Request):
        body = await request.json()
        key = request.headers.get("x-line-retry-key")
        log.append(
            {
                "body": body,
                "key": key,
                "auth": request.headers.get("authorization"),
                "repeat": key in accepted,
            }
        )
        if key in accepted:
            return JSONResponse(
                {"message": "The retry key is already accepted"},
                409,
                headers={"x-line-accepted-request-id": accepted[key]},
            )
        accepted[key] = str(uuid.uuid4())
        if flaky.get("first_answer_500"):
            return JSONResponse({"message": "An error occurred"}, 500)
        return {"sentMessages": [{"id": str(n)} for n, _ in enumerate(body["messages"])]}

    return app


async def test_a_plain_line_server_gets_each_message_once(stack):
    log: list[dict] = []
    async with AsyncExitStack() as running:
        plain = await running.enter_async_context(
            serving(plain_line_server(log, {"first_answer_500": True}))
        )
        settings = stack.settings.model_copy(
            update={"line_api_base_url": plain, "task_queue": f"plain-{uuid.uuid4().hex[:6]}"}
        )
        line = LinePusher.from_settings(settings, timeout=5.0)
        running.push_async_callback(line.close)
        await running.enter_async_context(
            create_worker(stack.env.client, task_queue=settings.task_queue, db=stack.db, line=line)
        )
        stack.dispatcher.commands.task_queue = settings.task_queue

        scenario_id = await stack.scenario(SCENARIO)
        friend = user(90)
        await stack.follow(friend)
        assert (await stack.outcome(scenario_id, friend)).status == "completed"

    first_sends = [entry for entry in log if not entry["repeat"]]
    assert [[m["type"] for m in e["body"]["messages"]] for e in first_sends] == [
        ["text", "sticker"],
        ["image", "template"],
    ]
    assert all(e["body"]["to"] == friend for e in log)
    # each step was retried after the 500 with the same key, and that retry was refused as a repeat
    assert [e["repeat"] for e in log] == [False, True, False, True]
    assert log[0]["key"] == log[1]["key"] != log[2]["key"] == log[3]["key"]
    for entry in log:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", entry["key"]
        )
        assert entry["auth"] == f"Bearer {ACCESS_TOKEN}"
        assert problems("PushMessageRequest", entry["body"]) == []
