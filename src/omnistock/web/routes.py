"""The dashboard: one page at `/` and its assets at `/static/...`, all served by omnistock.

The page talks to the public API only (with the key the user gives it), so these routes need
no authentication: they hold no data. A strict Content-Security-Policy keeps the page from
loading anything from elsewhere (it works offline, and a stray CDN link would fail loudly).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).with_name("static")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
         ".html": "text/html; charset=utf-8", ".json": "application/json"}

PAGE = "omnistock_dashboard"
router = APIRouter(include_in_schema=False)


@router.get("/", name=PAGE)
def dashboard() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type=TYPES[".html"], headers=HEADERS)


@router.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    root = STATIC.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file() or target.suffix not in TYPES:
        raise HTTPException(status_code=404, detail="not found")
    return FileResponse(target, media_type=TYPES[target.suffix], headers=HEADERS)
