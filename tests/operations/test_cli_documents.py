"""`sanctuary-api client documents add|list|remove` and `client trusted-only`, run as real subprocesses."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from api.db import create_engine, session_factory
from api.models import Organization, Region
from api.models.enums import OrganizationKind
from tests.operations.test_cli import _cli, _scalar, migrated  # noqa: F401 (the module's migrated database)

ORGS = "query Orgs { organizations(first: 5) { nodes { id } } }"
AUDIT = "query Audit { auditEvents(first: 5) { nodes { id } } }"  # not in a legal advocate's schema


def _did(document: str) -> str:
    return "sha256:" + hashlib.sha256(document.encode()).hexdigest()


async def test_documents_add_list_remove_and_the_switch(migrated: tuple[str, dict[str, str]], tmp_path: Path) -> None:  # noqa: F811
    url, env = migrated
    engine = create_engine(url, pool_size=1)
    async with session_factory(engine)() as session:
        region = Region(name="Birch County", code="birch-cli")
        session.add(region)
        await session.flush()
        session.add(Organization(name="Birch Legal Aid", kind=OrganizationKind.LEGAL_AID, region_id=region.id))
        await session.commit()
    await engine.dispose()
    code, _secret, err = await _cli("client", "create", "--org", "Birch Legal Aid", "--max-role", "legal_advocate",
                                    env=env)  # fmt: skip
    assert code == 0, err
    client_id = err.split("client_id: ")[1].split()[0]
    only = "SELECT trusted_documents_only FROM oauth_client WHERE client_id = :c"
    assert await _scalar(url, only, c=client_id) is True  # new apps send only their documents

    bad = tmp_path / "bad.json"
    bad.write_bytes(orjson.dumps({_did(ORGS): ORGS, _did(AUDIT): AUDIT}))
    code, out, err = await _cli("client", "documents", "add", "--client-id", client_id, str(bad), env=env)
    assert code == 2
    assert "INVALID_DOCUMENT" in err
    assert "auditEvents" not in err
    good = tmp_path / "persisted-documents.json"
    good.write_bytes(orjson.dumps({_did(ORGS).removeprefix("sha256:"): ORGS}))
    code, out, err = await _cli("client", "documents", "add", "--client-id", client_id, str(good), env=env)
    assert (code, out.strip()) == (0, f"1 documents registered for {client_id}."), err
    code, out, _err = await _cli("client", "documents", "list", "--client-id", client_id, env=env)
    assert out.splitlines() == [f"{_did(ORGS)}\tOrgs"]
    code, out, _err = await _cli("client", "trusted-only", "--client-id", client_id, "off", env=env)
    assert code == 0
    assert await _scalar(url, only, c=client_id) is False
    code, out, _err = await _cli("client", "documents", "remove", "--client-id", client_id, _did(ORGS), env=env)
    assert (code, out.strip()) == (0, f"1 documents removed from {client_id}.")
    count = "SELECT count(*) FROM trusted_document"
    assert await _scalar(url, count) == 0
    code, _out, err = await _cli("client", "create", "--org", "Birch Legal Aid", "--max-role", "organizer",
                                 "--any-document", env=env)  # fmt: skip
    opened = err.split("client_id: ")[1].split()[0]
    assert await _scalar(url, only, c=opened) is False
    code, _out, err = await _cli("client", "documents", "list", "--client-id", "nobody", env=env)
    assert code == 2
