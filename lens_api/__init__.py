"""lens's REST API: a thin FastAPI layer over lens_core. `create_app(settings)` builds it."""

from lens_api.app import create_app

__all__ = ["create_app"]
