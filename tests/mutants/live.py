"""Mutants of the subscription connection limits across instances (api/ratelimit/connections.py) and of a
connection's initialisation (api/schema/engine/live_socket.py)."""

from __future__ import annotations

from tests.mutants.base import Mutant, group

_limits = group("live limits", "api/ratelimit/connections.py", "tests/live/test_limits.py")
_init = group(
    "live init", "api/schema/engine/live_socket.py", "tests/live/test_init_failures.py", "tests/live/test_connection.py"
)

MUTANTS: tuple[Mutant, ...] = (
    _limits("admits not serialized by the advisory lock",
            'await session.execute(_LOCK, {"class": LOCK_CLASS, "objid": objid})', "pass"),
    _limits("stale rows still count",
            "  AND seen_at > clock_timestamp() - make_interval(secs => CAST(:stale AS float8))\n",
            "  AND CAST(:stale AS float8) > 0\n"),
    _limits("the app's limit not applied",
            "members >= settings.live_max_connections_per_member or apps >= settings.live_max_connections_per_app",
            "members >= settings.live_max_connections_per_member"),
    _limits("a closed connection keeps its slot", 'await session.execute(_DELETE, {"ids": [slot.id]})', "pass"),
    _limits("a closing connection still counts on its own instance",
            "closing = [s.id for c, s in self._slots.items() if c.closed]", "closing: list[uuid.UUID] = []"),
    _limits("the heartbeat refreshes nothing", "                await self.heartbeat()\n", "                pass\n"),
    _limits("lost rows not put back", "        if lost:\n            await self._restore(lost)\n", ""),
    _init("a token's use not noted at init", "external=state.external_issuers, note_use=True,",
          "external=state.external_issuers,"),
    _init("the noted use rolled back", "                await reading(session)\n", "                pass\n"),
    _init("a database failure at init escapes", "        except Exception as error:  # the service failed",
          "        except AuthenticationError as error:  # the service failed"),
    _init("a database failure at init taken for a refused token", 'TRY_AGAIN = (1013, "Internal error: try again later")',
          'TRY_AGAIN = (4401, "Internal error: try again later")'),
    _init("a refused token taken for a database failure",
          'return EXPIRED, "Unauthorized: the token is invalid, expired or revoked"', "raise"),
)  # fmt: skip
