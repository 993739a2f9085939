"""Settings: one object, read from the environment and `.env`, built by `get_settings()`.

Names follow the original design (`DATABASE_URL`, `OPENAI_API_KEY`, ...); `.env.example` documents each.
Only entry points (CLI, API, dashboard) call `get_settings()`; the core receives a Settings instance.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        "sqlite:///./copilot_failures.db",
        description="SQLAlchemy URL: sqlite:///path.db (default) or postgresql://user@host/db",
    )
    openai_api_key: SecretStr | None = Field(None, description="Key for OpenAI or a compatible server")
    openai_model: str = Field("gpt-4", description="Chat model for LLM cluster summaries")
    openai_base_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible server (Azure OpenAI, vLLM, Ollama)"
    )
    embedding_backend: str = Field(
        "minilm", description="Embedding backend by name (lens_core.registry): minilm (local), minilm-onnx, "
                              "openai, hashing (no model)"
    )
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="Model name for the backend; for openai e.g. text-embedding-3-small",
    )
    min_cluster_size: int = Field(10, ge=2, description="HDBSCAN: smallest group of events called a cluster")
    min_samples: int = Field(5, ge=1, description="HDBSCAN: how conservative clustering is (larger: more noise)")
    random_state: int = Field(42, description="Seed for UMAP, K-Means and sampling; stored with every run")
    max_field_chars: int = Field(
        1_000_000, ge=1_000, description="Longest accepted text field; longer rows are rejected, not cut"
    )
    # Loopback by default: the API serves raw telemetry, so reaching it from elsewhere is a choice to make.
    api_host: str = Field("127.0.0.1", description="Host `python api.py` binds the REST API to (0.0.0.0: every "
                                                   "interface; then set LENS_API_KEY)")
    api_port: int = Field(8000, ge=1, le=65535, description="Port of the REST API")
    log_level: str = Field("INFO", description="Python logging level: DEBUG, INFO, WARNING, ERROR")
    lens_api_key: SecretStr | None = Field(
        None, description="Key the REST API requires in the X-API-Key header on every endpoint but /health and the "
                          "docs (unset: no key, a warning)"
    )
    api_open_reads: bool = Field(
        False, description="REST API: reads (raw prompts and outputs included) need no key even when LENS_API_KEY "
                           "is set; the start-up log lists what is then open"
    )
    api_max_queued_jobs: int = Field(
        8, ge=1, le=1000, description="REST API: pipeline jobs one process holds queued or running; more get 429"
    )
    lens_dashboard_password: SecretStr | None = Field(
        None, description="Password the dashboard asks for before showing anything (required when it listens on "
                          "an address other than loopback, unless OIDC login is configured)"
    )
    api_max_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="REST API: largest request body accepted; larger ones get 413"
    )

    llm_timeout_s: float = Field(60.0, gt=0, description="LLM summaries: seconds before one request times out")
    llm_max_concurrency: int = Field(4, ge=1, le=32, description="LLM summaries: requests in flight at once")
    llm_budget_tokens_per_run: int = Field(
        200_000, ge=0, description="LLM summaries: tokens one summarize run may spend; calls stop when reached"
    )
    export_redact: bool = Field(
        True, description="Summary exports replace personal data and secrets by typed placeholders"
    )
    redact_outbound: bool = Field(
        True, description="Text sent to remote services (openai embeddings, LLM summaries, webhook alerts) has "
                          "personal data and secrets replaced by typed placeholders; local embedding never is"
    )
    llm_min_unique_users: int = Field(
        5, ge=1, description="LLM summaries: clusters with fewer unique users are never sent to the model"
    )

    @field_validator("openai_api_key", "openai_base_url", "lens_api_key", "lens_dashboard_password", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`OPENAI_API_KEY=` (or `LENS_API_KEY=`, `LENS_DASHBOARD_PASSWORD=`) in .env means "not configured", not an
        empty key."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("embedding_backend")
    @classmethod
    def _registered_embedder(cls, value: str) -> str:
        from lens_core.registry import REGISTRY

        if value not in REGISTRY.names("embedder"):
            raise ValueError(f"EMBEDDING_BACKEND must be one of {', '.join(REGISTRY.names('embedder'))}, not {value!r}")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {value!r}")
        return level


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings. Raises ConfigError (not a pydantic traceback) on an invalid value."""
    from pydantic import ValidationError

    from lens_core.errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid setting: {problems}") from None


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this machine reaches a server bound there. False for
    0.0.0.0, ::, an empty address (every interface) and any other name, which may resolve anywhere."""
    name = (host or "").strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def configure_logging(settings: Settings) -> None:
    """Standard logging at LOG_LEVEL, one line per record; called once by each entry point."""
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("lens_core").setLevel(settings.log_level)
