"""Coupons, made through LINE's Coupon API: create one to send in a message step
(`{type: coupon, couponId}`), read one back as LINE has it."""

from typing import Any

from fastapi import APIRouter, Body, HTTPException, status
from linebot.v3.messaging import models
from pydantic import BaseModel

from api.deps import Admin, ServicesDep
from api.errors import StrictJSONRoute
from core.linemsg import Problem, parse_model
from line.client import LineError, LinePusher, LineRejected

router = APIRouter(
    prefix="/coupons", tags=["coupons"], dependencies=Admin, route_class=StrictJSONRoute
)

# what LINE requires and most coupons share: filled in when the body leaves them out
DEFAULTS: dict[str, Any] = {
    "acquisitionCondition": {"type": "normal"},
    "visibility": "UNLISTED",
    "maxUseCountPerTicket": 1,
    "timezone": "ASIA_TOKYO",
}
LAST_MOMENT = 253_402_300_799  # 9999-12-31T23:59:59Z
LINE_ERRORS = {
    400: {"description": "LINE refused the coupon (its message in `detail`)"},
    502: {"description": "LINE answered with an error or could not be reached"},
    503: {"description": "no LINE_CHANNEL_ACCESS_TOKEN: LINE cannot be asked"},
}


class CouponCreated(BaseModel):
    coupon_id: str  # LINE's couponId, for `{type: coupon, couponId}` in a message step


def _line(services) -> LinePusher:
    line = services.line
    if not services.settings.line_channel_access_token or not isinstance(line, LinePusher):
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="LINE_CHANNEL_ACCESS_TOKEN is not set: LINE's Coupon API cannot be used",
        )
    return line


def _line_failed(exc: LineError) -> HTTPException:
    """LINE's own refusal (a 4xx) passes through with its message; anything else is a 502."""
    if isinstance(exc, LineRejected) and exc.status and 400 <= exc.status < 500:
        return HTTPException(exc.status, detail=f"LINE answered {exc.status}: {exc.message}")
    where = f"LINE answered {exc.status}" if exc.status else "LINE could not be reached"
    return HTTPException(status.HTTP_502_BAD_GATEWAY, detail=f"{where}: {exc.message}")


def check(body: Any) -> list[Problem]:
    """LINE's CouponCreateRequest, checked field by field against the SDK's model (its paths
    as in the body: `reward.priceInfo.percentage`), and a validity that is a period."""
    problems: list[Problem] = []
    if parse_model(models.CouponCreateRequest, body, "", problems) is None or problems:
        return [Problem(p.path.lstrip(".") or "(body)", p.message) for p in problems]
    for name in ("startTimestamp", "endTimestamp"):
        if not 0 <= body[name] <= LAST_MOMENT:
            problems.append(Problem(name, f"must be epoch seconds from 0 to {LAST_MOMENT}"))
    if not problems and body["endTimestamp"] <= body["startTimestamp"]:
        problems.append(Problem("endTimestamp", "must be after startTimestamp"))
    return problems


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CouponCreated,
    responses=LINE_ERRORS,
)
async def create_coupon(
    services: ServicesDep,
    body: dict[str, Any] = Body(  # noqa: B008
        ...,
        examples=[
            {
                "title": "10% off",
                "startTimestamp": 1767193200,
                "endTimestamp": 1769871599,
                "reward": {
                    "type": "discount",
                    "priceInfo": {"type": "percentage", "percentage": 10},
                },
            }
        ],
    ),
) -> CouponCreated:
    """Create a coupon with LINE's Coupon API. The body is LINE's CouponCreateRequest
    (title, description, startTimestamp/endTimestamp in epoch seconds, timezone, reward …);
    acquisitionCondition (normal), visibility (UNLISTED), maxUseCountPerTicket (1) and
    timezone (ASIA_TOKYO) may be left out."""
    document = DEFAULTS | body
    if problems := check(document):
        detail = [{"path": p.path, "msg": p.message, "type": "line_coupon"} for p in problems]
        raise HTTPException(422, detail=detail)
    try:
        coupon_id = await _line(services).create_coupon(document)
    except LineError as exc:
        raise _line_failed(exc) from None
    return CouponCreated(coupon_id=coupon_id)


@router.get("/{coupon_id}", responses={404: {"description": "LINE knows no such coupon"}})
async def read_coupon(coupon_id: str, services: ServicesDep) -> dict[str, Any]:
    """The coupon as LINE describes it (CouponResponse: status DRAFT, RUNNING or CLOSED,
    startTimestamp, endTimestamp …)."""
    try:
        coupon = await _line(services).get_coupon(coupon_id)
    except LineError as exc:
        raise _line_failed(exc) from None
    if coupon is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"LINE knows no coupon {coupon_id}")
    return coupon
