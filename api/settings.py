"""Settings read from the environment (prefix ``SANCTUARY_``, plus ``DATABASE_URL``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from api.ratelimit.policy import RateLimits
from api.schema.engine.limits import Limits

DATABASE_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")


def default_data_dir() -> Path:
    """Per-user directory for the embedded database and the local key file."""
    return Path.home() / ".local" / "share" / "sanctuary-api"


class Settings(BaseSettings):
    """Runtime configuration; every value can come from the environment."""

    model_config = SettingsConfigDict(env_prefix="SANCTUARY_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "SANCTUARY_DATABASE_URL")
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    key_file: Path | None = None
    master_key: str | None = None
    environment: str = "development"
    db_pool_size: int = 10
    db_statement_timeout_ms: int = 15_000
    readiness_timeout_s: float = 2.0
    coarse_grid_decimals: int = 2
    graphiql: bool = True
    # What one GraphQL request may cost (body, document, variables, depth, aliases, directives, errors),
    # as JSON overriding some of them: see api/schema/engine/limits.py.
    graphql_limits: Limits = Field(default_factory=Limits)
    public_url: str = "http://127.0.0.1:8000"
    api_audience: str = "sanctuary-api"
    access_token_minutes: int = 15
    # External OpenID Connect issuers whose ID/access tokens map to members, as JSON:
    # [{"issuer": "...", "audience": "...", "jwks": {...} | null, "jwks_uri": "..." | null,
    #   "claim": "email", "algorithms": ["RS256"]}]
    oidc_issuers: str = "[]"
    # Retention (api/services/protection/retention.py): purged values are set to NULL in the tables, not flagged.
    # Hotline reporter contact: hours after triage. Exact incident location: days after close.
    # T3 of closed accompaniment requests and sanctuary cases: days after close.
    retention_reporter_contact_hours: float = Field(default=72, gt=0)
    retention_exact_location_days: float = Field(default=30, gt=0)
    retention_closed_records_days: float = Field(default=180, gt=0)
    # Events of the outbox (domain_event): days they stay readable for consumers resuming from an id.
    retention_events_days: float = Field(default=7, gt=0)
    # How often the service applies them (0 disables the schedule), and rows per statement.
    purge_interval_minutes: float = Field(default=60, ge=0)
    purge_batch_size: int = Field(default=500, ge=1, le=10_000)
    # How long a sanctuary case burn request waits for a second org admin's confirmation.
    burn_confirmation_hours: float = Field(default=24, gt=0, le=168)
    # Faults: requests fail fast with a 503 when the database cannot serve them (api/unavailable.py).
    # How long a request waits for a pooled connection, and for a new connection to be established.
    db_pool_timeout_s: float = Field(default=3.0, gt=0)
    db_connect_timeout_s: float = Field(default=3.0, gt=0)
    # Statement timeout of the service's read statements (queries); mutations, the periodic jobs and the
    # command line (maintenance) keep db_statement_timeout_ms.
    db_read_statement_timeout_ms: int = Field(default=5_000, gt=0)
    # Sign-in (api/signin/): how long an invitation link stays valid, and a browser session on the API's pages.
    # The passkeys' relying-party id is the host of public_url (e.g. `localhost`).
    invitation_hours: float = Field(default=72, gt=0, le=720)
    signin_session_hours: float = Field(default=12, gt=0, le=720)
    # OAuth for people (api/oauth/): how long a refresh token lives (rotated on every use; the chain ends
    # at most this long after its last use) and how long a device-flow user code stays valid.
    refresh_token_days: float = Field(default=30, gt=0, le=366)
    device_code_minutes: float = Field(default=10, gt=0, le=60)
    # Minting a personal access token needs a sign-in at most this many minutes old (GraphiQL or the account page).
    recent_signin_minutes: float = Field(default=10, gt=0, le=1440)
    # The Retry-After of a 503 answered because the database is unavailable.
    unavailable_retry_after_s: int = Field(default=5, ge=1)
    # Rate limits (api/ratelimit/policy.py), as JSON overriding some of them; the buckets live in PostgreSQL
    # (on a pool of their own, rate_limit_pool_size connections), or in Redis when redis_url is set.
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    rate_limit_pool_size: int = Field(default=2, ge=1)
    redis_url: str | None = None
    # One-click sign-in as each demo member: set only by `serve --demo` (:meth:`with_demo`), never from the
    # environment, and refused when environment is production.
    _demo: bool = PrivateAttr(default=False)
    # Webhooks (api/webhooks/): plain http:// URLs and private/loopback/link-local addresses are refused unless
    # these are set (the demo and the tests only). The worker wakes on new events and every interval_s (0: no
    # worker in this instance); it sends at most `concurrency` requests at once, `batch` claimed per round.
    webhooks_allow_insecure: bool = False
    webhooks_allow_private: bool = False
    webhooks_interval_s: float = Field(default=5.0, ge=0)
    # after an event wakes the webhook worker, it waits this long before its round: a burst of events is fanned out
    # in one round, and the round does not compete with the subscriptions' fan-out of the same event for the loop
    webhooks_settle_s: float = Field(default=0.05, ge=0, le=5)
    webhooks_concurrency: int = Field(default=8, ge=1, le=100)
    webhooks_batch: int = Field(default=50, ge=1, le=1000)
    # One attempt: connect and whole-request timeouts; the request body and the response read are capped.
    webhooks_connect_timeout_s: float = Field(default=5.0, gt=0)
    webhooks_timeout_s: float = Field(default=15.0, gt=0, le=60)
    webhooks_max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    webhooks_max_response_bytes: int = Field(default=64 * 1024, ge=0)
    # Retries: exponential backoff from backoff_base_s, capped at backoff_max_s, with jitter, for retry_hours
    # (at least 24) after the event; an endpoint failing disable_after_failures times in a row for
    # disable_after_hours is disabled (reason FAILING).
    webhooks_backoff_base_s: float = Field(default=5.0, gt=0)
    webhooks_backoff_max_s: float = Field(default=4 * 3600.0, gt=0)
    webhooks_retry_hours: float = Field(default=25.0, ge=24)
    webhooks_disable_after_failures: int = Field(default=20, ge=1)
    webhooks_disable_after_hours: float = Field(default=24.0, ge=0)
    # After a rotation, deliveries are signed with the old secret too for this long (Standard Webhooks overlap).
    webhooks_secret_overlap_hours: float = Field(default=24.0, ge=0, le=168)
    # Connections kept alive to receivers (api/webhooks/connections.py), one pool per registered origin and checked
    # address: at most per_host_connections requests at once per origin, an idle pool closed after keepalive_s
    # (0: a connection per request), at most keepalive_pools idle pools kept (the least recently used go first).
    webhooks_per_host_connections: int = Field(default=4, ge=1, le=100)
    webhooks_keepalive_s: float = Field(default=5.0, ge=0, le=300)
    webhooks_keepalive_pools: int = Field(default=64, ge=0, le=10_000)
    # Subscriptions over WebSocket (api/schema/engine/live_socket.py): browsers' origins allowed (comma-separated;
    # empty: the origin of public_url; a client sending no Origin is not a browser and is allowed), how often a
    # connection's credential is checked again, and the limits of a connection. The connections per member and per
    # app are counted across instances (api/ratelimit/connections.py): each instance refreshes its own every
    # live_heartbeat_s; a crashed instance's stop counting after three heartbeats.
    allowed_origins: str = ""
    live_recheck_s: float = Field(default=3.0, gt=0, le=60)
    live_init_timeout_s: float = Field(default=5.0, gt=0, le=60)
    live_ping_s: float = Field(default=15.0, gt=0, le=300)
    live_max_subscriptions: int = Field(default=20, ge=1, le=1_000)
    live_max_connections_per_member: int = Field(default=10, ge=1)
    live_max_connections_per_app: int = Field(default=200, ge=1)
    live_max_message_bytes: int = Field(default=65_536, ge=1_024)
    live_outbox: int = Field(default=1_000, ge=10)  # messages waiting for a slow client before its connection closes
    live_heartbeat_s: float = Field(default=5.0, gt=0, le=60)
    # The operator's view (api/observability/). Traces: OTLP over HTTP to the collector at otel_endpoint (its
    # base URL; /v1/traces is added), off when unset. Metrics: Prometheus at http://metrics_host:metrics_port/metrics,
    # off when the port is unset; metrics_operations caps the operation names given a label of their own.
    otel_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("SANCTUARY_OTEL_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    otel_service_name: str = Field(
        default="sanctuary-api", validation_alias=AliasChoices("SANCTUARY_OTEL_SERVICE_NAME", "OTEL_SERVICE_NAME")
    )
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    metrics_operations: int = Field(default=100, ge=0, le=10_000)

    @field_validator("database_url")
    @classmethod
    def _postgresql_url(cls, url: str | None) -> str | None:
        """A PostgreSQL URL or nothing; the message never quotes the URL (it may hold a password)."""
        if not url:
            return url
        expected = f"a URL with the scheme {', '.join(s + '://' for s in DATABASE_SCHEMES)}"
        try:
            scheme = make_url(url).drivername
        except (ArgumentError, ValueError):
            raise ValueError(f"not a database URL: expected {expected}") from None
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(f"not a PostgreSQL URL: expected {expected}")
        return url

    @property
    def demo(self) -> bool:
        """True only for the demo (`serve --demo`): the sign-in page offers one-click sign-in as demo members."""
        return self._demo and self.environment != "production"

    def with_demo(self) -> Settings:
        """These settings with the demo's one-click sign-in on; refused in production."""
        if self.environment == "production":
            raise ValueError("the demo's one-click sign-in cannot be turned on in production")
        copy = self.model_copy()
        copy._demo = True
        return copy

    @property
    def issuer(self) -> str:
        """The ``iss`` of access tokens this service signs."""
        return self.public_url.rstrip("/")

    @property
    def origins(self) -> frozenset[str]:
        """The browser origins a WebSocket may come from (``allowed_origins``, or the origin of ``public_url``)."""
        listed = {o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()}
        if listed:
            return frozenset(listed)
        parts = urlsplit(self.public_url)
        return frozenset({f"{parts.scheme}://{parts.netloc}"})

    @property
    def resolved_key_file(self) -> Path:
        """Where the key-encryption key lives when not given inline."""
        return self.key_file or self.data_dir / "master.key"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
