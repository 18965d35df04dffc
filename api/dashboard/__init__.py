"""The dashboard, served by the API at `/`: server-rendered pages (Jinja2) behind the admin
token, kept out of the OpenAPI schema."""

from fastapi import APIRouter

from api.dashboard import (
    audience_pages,
    auth,
    channel_pages,
    friend_edit_pages,
    friend_pages,
    import_pages,
    language,
    lifecycle_pages,
    preview_pages,
    queue,
    scenario_pages,
    static_files,
    studio_pages,
    template_pages,
    test_send_pages,
)

router = APIRouter(include_in_schema=False)
# before studio_pages, whose POST /dashboard/studio/{draft_id} would answer .../preview and
# .../reach, and static_files, whose /static/dashboard/{name} would answer bubbles.css
router.include_router(preview_pages.assets)
router.include_router(preview_pages.router)
for module in (
    auth,
    language,
    scenario_pages,
    test_send_pages,  # before lifecycle_pages, whose …/{action} would answer …/test-sends
    lifecycle_pages,
    studio_pages,
    template_pages,
    import_pages,  # before friend_pages, whose /dashboard/friends/{user_id} would answer .../import
    friend_edit_pages,
    friend_pages,
    audience_pages,
    channel_pages,
    queue,
    static_files,
):
    router.include_router(module.router)
