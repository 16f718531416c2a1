"""The ASGI entry point: ``uvicorn service.main:app`` (settings from the environment)."""

from service.app import create_app

app = create_app()
