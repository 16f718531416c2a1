"""The web pages: rendered on the server (Jinja2), in Bahasa Indonesia by default, every asset
served locally. One module per kind of user; `rendering` holds what they share (the session
cookie, the page and message helpers, the HTML error page)."""

from __future__ import annotations

from fastapi import APIRouter

from service.web import accounts, agencies, analysis, career, national, planning, rendering, session

router = APIRouter(include_in_schema=False)
for part in (session, career, planning, agencies, analysis, national, accounts):
    router.include_router(part.router)

error_page = rendering.error_page
invalid_form_page = rendering.invalid_form_page
error_message = rendering.error_message
