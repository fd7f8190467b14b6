"""The HTTP layer (FastAPI): the app factory and one router per area."""

from .app import create_app

__all__ = ["create_app"]
