"""`create_app`: the FastAPI application (REST API under /api, HTML pages elsewhere)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from leadbridge import __version__
from leadbridge.errors import LeadbridgeError, RecordNotFound
from leadbridge.web import api, pages
from leadbridge.workspace import Workspace


def create_app(root: Path | None = None, *, workspace: Workspace | None = None) -> FastAPI:
    """The app for one workspace: the given one (left open), or the one at `root` (opened and closed with the app)."""
    ws = workspace or Workspace.open(root)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        if workspace is None:
            ws.close()

    app = FastAPI(title="leadbridge", version=__version__, lifespan=lifespan,
                  description="Sync status, errors, alerts, people and the audit of a leadbridge workspace.")
    app.state.ws = ws
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(LeadbridgeError)
    async def _leadbridge_error(request: Request, exc: LeadbridgeError):
        status = 404 if isinstance(exc, RecordNotFound) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.message, "hint": exc.hint}, status_code=status)
        return HTMLResponse(pages.render("error.html", title="error", message=exc.message, hint=exc.hint),
                            status_code=status)

    return app
