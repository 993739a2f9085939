"""The REST API's entry point, as in the original design: `uvicorn api:app` or `python api.py`."""

from __future__ import annotations

import logging

import uvicorn

from lens_api import create_app
from lens_api.deps import configured_key
from lens_api.exposure import bind_warning
from lens_core.config import configure_logging, get_settings

settings = get_settings()
configure_logging(settings)
# Opens no database connection: the engine is made on the first request (or the startup hook).
app = create_app(settings)

if __name__ == "__main__":
    if warning := bind_warning(settings.api_host, key_set=configured_key(settings) is not None):
        logging.getLogger("lens_api").warning(warning)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level=settings.log_level.lower())
