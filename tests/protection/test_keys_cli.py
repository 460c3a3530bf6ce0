"""`sanctuary-api keys ...` as a subprocess: the operator flows for both key sources, counts and no secrets."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from api.crypto import Kek, Sealer, generate_master_key, load_or_create_key_file
from tests.commands import run_command
from tests.database import MigratedTemplate
from tests.keyring import Network, read_all, seeded_network


def _env(**extra: str) -> dict[str, str]:
    removed = {"DATABASE_URL", "SANCTUARY_DATABASE_URL", "SANCTUARY_MASTER_KEY", "SANCTUARY_KEY_FILE"}
    return {**{k: v for k, v in os.environ.items() if k not in removed}, **extra}


async def _keys(*args: str, env: dict[str, str], secrets: list[str]) -> tuple[int, str, str]:
    """Run `sanctuary-api keys ARGS`; no key and no sealed value may appear in its output."""
    code, out, err = await run_command("keys", *args, env=env, within_s=120)  # in a process of its own
    assert not [secret for secret in secrets if secret in out + err], "a secret appeared in the command's output"
    return code, out, err


def _file_keys(path: Path) -> list[str]:
    return path.read_text().split()


async def test_key_file_rotation_then_reencryption(template: MigratedTemplate, tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    old = load_or_create_key_file(key_file)
    async with seeded_network(template, Kek.from_text(old)) as net:
        env = _env(DATABASE_URL=net.url, SANCTUARY_DATA_DIR=str(tmp_path))
        secrets = [old, *net.plaintexts]

        code, out, err = await _keys("rotate", env=env, secrets=secrets)
        assert code == 0, err
        new = _file_keys(key_file)[0]
        assert _file_keys(key_file) == [new, old]
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert "Rewrapped 6 data keys and 1 signing keys" in out
        assert "keys rotate --retire-old" in out
        secrets.append(new)
        assert await read_all(net, Sealer([Kek.from_text(new)])) == Counter(net.plaintexts)

        code, out, err = await _keys("rotate", env=env, secrets=secrets)  # a re-run resumes, adds no key
        assert (code, _file_keys(key_file)) == (0, [new, old]), err
        assert "Rewrapped 0 data keys and 0 signing keys" in out

        code, out, err = await _keys("rotate", "--retire-old", env=env, secrets=secrets)
        assert (code, _file_keys(key_file)) == (0, [new]), err
        assert "Removed 1 old key-encryption key(s)" in out

        await _reencrypt(net, env, secrets, Kek.from_text(new))


async def _reencrypt(net: Network, env: dict[str, str], secrets: list[str], kek: Kek) -> None:
    code, out, err = await _keys(
        "reencrypt", "--retire", "--grace", "0", "--batch-size", "10", env=env, secrets=secrets
    )
    assert code == 0, err
    assert "5 new data keys;" in out
    assert "5 old data keys deleted, 0 still in use" in out
    assert "rows" in err  # the progress bar
    code, out, err = await _keys("reencrypt", "--blind-index", "--retire", "--grace", "0", env=env, secrets=secrets)
    assert code == 0, err
    assert "1 new blind-index key;" in out
    assert "1 old keys deleted" in out
    assert await read_all(net, Sealer([kek])) == Counter(net.plaintexts)


async def test_environment_rotation_and_generate(template: MigratedTemplate, tmp_path: Path) -> None:
    old = generate_master_key()
    async with seeded_network(template, Kek.from_text(old)) as net:
        env = _env(DATABASE_URL=net.url, SANCTUARY_DATA_DIR=str(tmp_path))
        secrets = [old, *net.plaintexts]

        code, out, _err = await _keys("generate", env=env, secrets=secrets)
        new = out.strip()
        assert (code, len(Kek.from_text(new).key)) == (0, 32)
        assert out == new + "\n"

        code, out, err = await _keys("rotate", env={**env, "SANCTUARY_MASTER_KEY": old}, secrets=[*secrets, new])
        assert code == 0, err
        assert "put a new one (`keys generate`) before it" in out
        both = {**env, "SANCTUARY_MASTER_KEY": f"{new},{old}"}
        code, _out, err = await _keys("rotate", "--stage", env=both, secrets=[*secrets, new])
        assert code == 2, err
        code, out, err = await _keys("rotate", env=both, secrets=[*secrets, new])
        assert code == 0, err
        assert "Rewrapped 6 data keys and 1 signing keys" in out
        code, out, err = await _keys("rotate", "--retire-old", env=both, secrets=[*secrets, new])
        assert code == 0, err
        assert "keep only the first in SANCTUARY_MASTER_KEY" in out
        assert not (tmp_path / "master.key").exists()  # the environment's keys never reach a file
        assert await read_all(net, Sealer([Kek.from_text(new)])) == Counter(net.plaintexts)


async def test_rotation_without_any_key_is_one_line(tmp_path: Path) -> None:
    code, _out, err = await _keys("rotate", env=_env(SANCTUARY_DATA_DIR=str(tmp_path)), secrets=[])
    assert (code, err.count("\n")) == (2, 1)
    assert "no key file" in err


async def test_reencryption_without_the_key_file_creates_none(tmp_path: Path) -> None:
    code, _out, err = await _keys("reencrypt", env=_env(SANCTUARY_DATA_DIR=str(tmp_path)), secrets=[])
    assert (code, err.count("\n")) == (2, 1)
    assert not (tmp_path / "master.key").exists()
