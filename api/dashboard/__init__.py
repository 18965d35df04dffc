"""The dashboard, served by the API at `/`: server-rendered pages (Jinja2) behind the admin
token, kept out of the OpenAPI schema."""

from fastapi import APIRouter

from api.dashboard import auth, friend_pages, language, queue, scenario_pages, static_files

router = APIRouter(include_in_schema=False)
for module in (auth, language, scenario_pages, friend_pages, queue, static_files):
    router.include_router(module.router)
