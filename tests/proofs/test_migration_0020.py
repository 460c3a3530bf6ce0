"""Migration 0020: existing dispatches and timeline entries take their incident's region (not their holder's)."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from api import migrate
from api.db import create_engine
from tests.database import fresh_database

ROWS = [
    ("INSERT INTO region (id, name, code) VALUES (:home, 'Home', 'r-home-0020'), (:away, 'Away', 'r-away-0020')"),
    "INSERT INTO organization (id, name, kind, region_id) VALUES (:org, 'Team', 'RAPID_RESPONSE', :home)",
    (
        "INSERT INTO member (id, organization_id, email, alias, languages, roles, active) "
        "VALUES (:member, :org, 'wren-0020@example.test', 'Wren', '{}', '{RR_RESPONDER}', true)"
    ),
    (
        "INSERT INTO rapid_response_incident (id, organization_id, region_id, kind, intake_channel, verification, "
        "status, reported_at, coarse_area) VALUES (:incident, :org, :away, 'HOME_RAID', 'HOTLINE', 'UNVERIFIED', "
        "'OPEN', now(), 'Away')"
    ),
    (
        "INSERT INTO incident_dispatch (id, organization_id, incident_id, member_id, role, dispatched_at) "
        "VALUES (:dispatch, :org, :incident, :member, 'VERIFIER', now())"
    ),
    (
        "INSERT INTO incident_timeline_event (id, organization_id, incident_id, kind, occurred_at) "
        "VALUES (:entry, :org, :incident, 'NOTE', now())"
    ),
]


async def test_0020_copies_the_incidents_region_onto_its_dispatches_and_timeline(server_url: str) -> None:
    ids = {name: uuid.uuid4() for name in ("home", "away", "org", "member", "incident", "dispatch", "entry")}
    async with fresh_database(server_url) as url:
        engine = create_engine(url, pool_size=1)
        try:
            await migrate.upgrade(engine, "0019")
            async with engine.begin() as c:
                for statement in ROWS:
                    await c.execute(text(statement), ids)
            await migrate.upgrade(engine)
            async with engine.connect() as c:
                found = {
                    table: await c.scalar(text(f"SELECT region_id FROM {table}"))  # noqa: S608 (two names above)
                    for table in ("incident_dispatch", "incident_timeline_event")
                }
        finally:
            await engine.dispose()
    assert found == {"incident_dispatch": ids["away"], "incident_timeline_event": ids["away"]}
