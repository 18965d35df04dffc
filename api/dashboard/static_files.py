"""The dashboard's own CSS and script (no CDN: it works without the internet)."""

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, Response

from api.dashboard.web import HERE

router = APIRouter()
FILES = {
    "dashboard.css": "text/css",
    "join.css": "text/css",
    "live.js": "text/javascript",
    "operator.css": "text/css",
    "operator.js": "text/javascript",
    "studio.css": "text/css",
    "studio.js": "text/javascript",
    "studio_preview.js": "text/javascript",
}


@router.get("/static/dashboard/{name}")
async def static_file(name: str) -> Response:
    if name not in FILES:
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(
        HERE / "static" / name,
        media_type=FILES[name],
        headers={"Cache-Control": "public, max-age=300"},
    )
