"""The HTTP API: FastAPI app factory, routers per resource, schemas, auth and problems."""

from .app import create_app

__all__ = ["create_app"]
