"""One router per resource; each handler calls lens_core and builds its own response model."""
