"""The real service, configured for the benchmark (``uvicorn --factory service_app:create``).

The database URL and key file come from ``BENCH_DATABASE_URL`` and ``SANCTUARY_KEY_FILE``,
set by ``bench/run.py`` when it starts this module as a subprocess.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings


def create() -> Starlette:
    """The production application on the benchmark database."""
    settings = Settings(
        database_url=os.environ["BENCH_DATABASE_URL"],
        key_file=Path(os.environ["SANCTUARY_KEY_FILE"]),
        environment="production",
    )
    return create_app(settings)
