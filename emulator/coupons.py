"""LINE's Coupon API (/v2/bot/coupon…): create, list, detail, close; and the check a push makes
of the coupons its messages carry. A coupon is RUNNING from its creation until it is closed or
its `endTimestamp` passes, then CLOSED (LINE's detail knows DRAFT, RUNNING and CLOSED only).
`POST /emulator/coupons/{couponId}/expire` ends a coupon's validity now, for tests;
`PUT /emulator/coupons/{couponId}` makes one with a chosen id (as if made in OA Manager)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from linebot.v3.messaging import models

from core.linemsg import Problem, parse_model
from emulator.ids import webhook_event_id
from emulator.line_api import _gate, _state, line_error
from emulator.state import EmulatorState

router = APIRouter()
control = APIRouter(prefix="/emulator", tags=["emulator"])

NOT_FOUND = "Not found"
ALREADY_CLOSED = "The coupon is already closed"
UNAVAILABLE = "The coupon is not available (closed, expired or unknown)"
MAX_LIST = 100


def _errors(problems: list[Problem]) -> JSONResponse:
    details = [{"message": p.message, "property": p.path} for p in problems]
    return line_error(400, f"The request body has {len(details)} error(s)", details=details)


def check_create(body: object) -> list[Problem]:
    """CouponCreateRequest as the SDK models it (required fields, lengths, enums, the reward
    and acquisition condition), then what the model cannot say: the validity is a period, a
    ticket is used once or without limit (-1)."""
    problems: list[Problem] = []
    if parse_model(models.CouponCreateRequest, body, "", problems) is None or problems:
        return [Problem(p.path.lstrip("."), p.message) for p in problems]
    assert isinstance(body, dict)
    if body["endTimestamp"] <= body["startTimestamp"]:
        problems.append(Problem("endTimestamp", "must be after startTimestamp"))
    if body["maxUseCountPerTicket"] not in (-1, 1):
        problems.append(Problem("maxUseCountPerTicket", "must be 1 or -1 (no limit)"))
    return problems


def status_of(state: EmulatorState, coupon: dict) -> str:
    closed = coupon["closed"] or coupon["endTimestamp"] <= state.clock()
    return "CLOSED" if closed else "RUNNING"


def detail(state: EmulatorState, coupon: dict) -> dict:
    """CouponResponse: what was created, with its id, creation time and status."""
    created = {k: v for k, v in coupon.items() if k != "closed"}
    return created | {"status": status_of(state, coupon), "maxTicketPerUser": 1}


def unavailable_coupons(state: EmulatorState, messages: list[dict]) -> list[Problem]:
    """A push's coupon messages whose coupon is unknown, closed or past its validity."""
    return [
        Problem(f"messages[{index}].couponId", UNAVAILABLE)
        for index, message in enumerate(messages)
        if isinstance(message, dict) and message.get("type") == "coupon"
        for coupon in [state.coupons.get(str(message.get("couponId")))]
        if coupon is None or status_of(state, coupon) != "RUNNING"
    ]


@router.post("/v2/bot/coupon")
async def create_coupon(request: Request) -> JSONResponse:
    if refused := _gate(request, "coupon_create", retry_key_allowed=False):
        return refused
    try:
        body = json.loads(await request.body())
    except ValueError:
        return line_error(400, "The request body could not be parsed as JSON")
    if problems := check_create(body):
        return _errors(problems)
    state = _state(request)
    coupon_id = webhook_event_id()  # LINE's coupon ids are ULIDs too
    state.coupons[coupon_id] = body | {
        "couponId": coupon_id,
        "createdTimestamp": int(state.clock()),
        "closed": False,
    }
    return JSONResponse({"couponId": coupon_id})


@router.get("/v2/bot/coupon")
async def list_coupons(request: Request) -> JSONResponse:
    if refused := _gate(request, "coupon_list", retry_key_allowed=False):
        return refused
    state = _state(request)
    wanted = set(request.query_params.getlist("status"))
    if unknown := wanted - {"DRAFT", "RUNNING", "CLOSED"}:
        return line_error(400, f"Invalid status: {', '.join(sorted(unknown))}")
    try:
        limit = int(request.query_params.get("limit", 20))
        start = int(request.query_params.get("start", 0))
    except ValueError:
        return line_error(400, "limit and start must be integers")
    if not 1 <= limit <= MAX_LIST:
        return line_error(400, f"limit must be between 1 and {MAX_LIST}")
    found = [
        {"couponId": coupon["couponId"], "title": coupon["title"]}
        for coupon in state.coupons.values()
        if not wanted or status_of(state, coupon) in wanted
    ]
    page = found[start : start + limit]
    answer: dict = {"items": page}
    if start + limit < len(found):
        answer["next"] = str(start + limit)
    return JSONResponse(answer)


@router.get("/v2/bot/coupon/{coupon_id}")
async def get_coupon(request: Request, coupon_id: str) -> JSONResponse:
    if refused := _gate(request, "coupon", retry_key_allowed=False):
        return refused
    state = _state(request)
    coupon = state.coupons.get(coupon_id)
    if coupon is None:
        return line_error(404, NOT_FOUND)
    return JSONResponse(detail(state, coupon))


@router.put("/v2/bot/coupon/{coupon_id}/close")
async def close_coupon(request: Request, coupon_id: str) -> JSONResponse:
    if refused := _gate(request, "coupon_close", retry_key_allowed=False):
        return refused
    state = _state(request)
    coupon = state.coupons.get(coupon_id)
    if coupon is None:
        return line_error(404, NOT_FOUND)
    if status_of(state, coupon) == "CLOSED":
        return line_error(410, ALREADY_CLOSED)
    coupon["closed"] = True
    return JSONResponse({})


@control.put("/coupons/{coupon_id}")
async def seed_coupon(request: Request, coupon_id: str) -> JSONResponse:
    """A RUNNING coupon with this id (valid for a year from now, titled after its id), as if
    created in LINE Official Account Manager: for tests and demos whose messages name one."""
    state = _state(request)
    now = int(state.clock())
    state.coupons[coupon_id] = {
        "title": f"Coupon {coupon_id}",
        "acquisitionCondition": {"type": "normal"},
        "startTimestamp": now - 60,
        "endTimestamp": now + 365 * 86_400,
        "maxUseCountPerTicket": 1,
        "visibility": "UNLISTED",
        "timezone": "ASIA_TOKYO",
        "reward": {"type": "free"},
        "couponId": coupon_id,
        "createdTimestamp": now,
        "closed": False,
    }
    return JSONResponse(detail(state, state.coupons[coupon_id]))


@control.post("/coupons/{coupon_id}/expire")
async def expire_coupon(request: Request, coupon_id: str) -> JSONResponse:
    """End the coupon's validity now (its `endTimestamp` becomes the emulator's clock)."""
    state = _state(request)
    coupon = state.coupons.get(coupon_id)
    if coupon is None:
        return JSONResponse({"detail": f"no coupon {coupon_id}"}, status_code=404)
    coupon["endTimestamp"] = min(coupon["endTimestamp"], int(state.clock()))
    coupon["startTimestamp"] = min(coupon["startTimestamp"], coupon["endTimestamp"] - 1)
    return JSONResponse(detail(state, coupon))
