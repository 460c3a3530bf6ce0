"""Starting and stopping the operator's view with the service (the app's lifespan, the commands)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from api.observability import metrics, profile, tracing
from api.settings import Settings

logger = logging.getLogger("api.observability")


def start(settings: Settings) -> None:
    """Tracing when an OTLP endpoint is configured, the metrics server when a metrics port is."""
    if settings.otel_endpoint and not tracing.enabled():
        tracing.enable_otlp(settings.otel_endpoint, settings.otel_service_name)
        logger.info("tracing on", extra={"fields": {"event": "tracing_on"}})
    if settings.metrics_port is not None:
        port = metrics.start(settings.metrics_host, settings.metrics_port, settings.metrics_operations)
        fields = {"event": "metrics_served", "host": settings.metrics_host, "port": port}
        logger.info("metrics served", extra={"fields": fields})


def stop() -> None:
    """Flush the spans not yet exported and stop the metrics server."""
    tracing.disable()
    metrics.stop()


def instrument(engine: AsyncEngine, name: str = "service") -> None:
    """The engine's pool in the metrics; a span per SQL statement while tracing is on."""
    metrics.watch_pool(name, engine.sync_engine.pool)
    if tracing.enabled():
        tracing.instrument_engine(engine.sync_engine)


def print_settings(settings: Settings) -> None:
    """One structured line with every setting, secrets masked (stderr, through the logs)."""
    logger.info("settings", extra={"fields": {"event": "settings", "settings": profile.masked_settings(settings)}})
