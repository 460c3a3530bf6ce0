"""The rate-limit settings (``SANCTUARY_RATE_LIMITS``, as JSON overriding some of them).

A bucket holds ``points`` and refills ``points`` every ``window_s`` seconds, continuously; a request
spends its points (1 for now; its computed cost once it is on the context). Members, partner apps and
anonymous callers (by client address) have their own buckets; /oauth/token has stricter ones, per client
address and per client id. Reads are refused below ``reserve`` of a bucket, which only the reserved
operations (incident intake) may spend: a raid report is never refused for quota.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Policy(BaseModel):
    """A token bucket: ``points`` at most, refilled at ``points`` per ``window_s`` seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    points: int = Field(ge=1)
    window_s: int = Field(default=60, ge=1)

    @property
    def rate(self) -> float:
        """Points refilled per second."""
        return self.points / self.window_s


class RateLimits(BaseModel):
    """Every rate limit in one place; override any of them as JSON, e.g. ``{"in_flight": 4}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    member: Policy = Policy(points=1200)  # per member (their sign-in or personal token)
    app: Policy = Policy(points=6000)  # per partner app (client id)
    anonymous: Policy = Policy(points=300)  # per client address, and for any token that fails
    token_address: Policy = Policy(points=30)  # /oauth/token per client address
    token_client: Policy = Policy(points=60)  # /oauth/token per client id
    # Sign-in attempts (passkey ceremonies, invitation redemptions, demo sign-ins) per client address, and per
    # account named (a passkey's credential id, an invitation): spent before anything is looked up.
    signin_address: Policy = Policy(points=30, window_s=300)
    signin_account: Policy = Policy(points=10, window_s=300)
    # The share of every bucket that only the reserved operations may spend (reads stop above it).
    reserve: float = Field(default=0.2, ge=0, lt=1)
    reserved_operations: frozenset[str] = frozenset({"incidentReport"})  # root mutation fields
    in_flight: int = Field(default=8, ge=1)  # requests in flight per caller, per instance
    in_flight_callers: int = Field(default=10_000, ge=1)  # callers tracked at once, per instance
    # Peers whose X-Forwarded-For is believed (addresses or networks); none by default.
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        """Addresses or CIDR networks; the message never quotes what was given."""
        if not isinstance(value, list | tuple):
            return value
        try:
            return tuple(ip_network(str(item), strict=False) for item in value)
        except ValueError:
            raise ValueError("trusted_proxies: not an IP address or network") from None
