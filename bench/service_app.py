"""The real service, configured for the benchmark (``uvicorn --factory service_app:create``).

The database URL and key file come from ``BENCH_DATABASE_URL`` and ``SANCTUARY_KEY_FILE``,
set by ``bench/run.py`` when it starts this module as a subprocess.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from api.app import create_app
from api.ratelimit.policy import RateLimits
from api.settings import Settings

# The rate limits run (their cost is measured) but never throttle the load generator's one member;
# SANCTUARY_RATE_LIMITS='{"enabled": false}' measures without them.
UNTHROTTLED = '{"member": {"points": 1000000000}, "in_flight": 100000}'


def create() -> Starlette:
    """The production application on the benchmark database."""
    settings = Settings(
        database_url=os.environ["BENCH_DATABASE_URL"],
        key_file=Path(os.environ["SANCTUARY_KEY_FILE"]),
        environment="production",
        rate_limits=RateLimits.model_validate_json(os.environ.get("SANCTUARY_RATE_LIMITS") or UNTHROTTLED),
    )
    return create_app(settings)
