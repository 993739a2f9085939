"""Sample telemetry with known root causes: the generator and its catalogue of plugins and causes."""
