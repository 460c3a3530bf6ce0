"""Coarse public locations: the only place an incident's position is derived for lower roles and broadcasts.

The exact location of an incident is critical (T3, sealed). What members and the public see is a
grid cell of ``10^-decimals`` degrees containing the report's coordinates: the cell's centre and a
label naming the region and the cell. The coordinates themselves are never stored; everything kept
depends only on the cell, so two reports anywhere in one cell look the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from api.services.shared.checks import invalid

MIN_DECIMALS, MAX_DECIMALS = 0, 3
STORED_DECIMALS = 3  # precision of the coarse_latitude/coarse_longitude columns
LIMITS = {"latitude": Decimal(90), "longitude": Decimal(180)}


@dataclass(frozen=True)
class CoarseArea:
    """What is stored and shown instead of the exact position."""

    label: str
    latitude: Decimal | None
    longitude: Decimal | None


@dataclass(frozen=True)
class Point:
    """Validated coordinates of a report (never stored)."""

    latitude: Decimal
    longitude: Decimal


def point(latitude: float | None, longitude: float | None) -> Point | None:
    """Both coordinates or neither, each finite and in range; INVALID_INPUT naming the field otherwise."""
    if latitude is None and longitude is None:
        return None
    if latitude is None:
        raise invalid("latitude", "Give latitude and longitude together.")
    if longitude is None:
        raise invalid("longitude", "Give latitude and longitude together.")
    return Point(_degrees(latitude, "latitude"), _degrees(longitude, "longitude"))


def coarse_area(region_name: str, where: Point | None, decimals: int) -> CoarseArea:
    """The region and, with coordinates, the grid cell holding them (its centre and south-west corner label)."""
    if where is None:
        return CoarseArea(region_name, None, None)
    places = bounded_decimals(decimals)
    lat_corner, lat_centre = _cell(where.latitude, places, LIMITS["latitude"])
    lon_corner, lon_centre = _cell(where.longitude, places, LIMITS["longitude"])
    label = f"{region_name}, cell {lat_corner:.{places}f},{lon_corner:.{places}f}"
    return CoarseArea(label, lat_centre, lon_centre)


def bounded_decimals(decimals: int) -> int:
    """The grid precision, kept within 0..3 decimals (a misconfiguration never yields a finer grid)."""
    return max(MIN_DECIMALS, min(MAX_DECIMALS, decimals))


def _cell(value: Decimal, places: int, limit: Decimal) -> tuple[Decimal, Decimal]:
    """(south-west corner, centre) of the cell ``[corner, corner + size)`` holding ``value``."""
    size = Decimal(1).scaleb(-places)
    index = (value / size).to_integral_value(rounding=ROUND_FLOOR)
    last = (limit / size) - 1  # the top edge (90 or 180) belongs to the last cell
    index = min(index, last)
    corner = index * size
    # exact up to 2 decimals; at 3 the columns cannot hold the half step, so the corner is kept
    centre = (corner + size / 2).quantize(Decimal(1).scaleb(-STORED_DECIMALS), rounding=ROUND_FLOOR)
    return corner, centre


def _degrees(value: float, field: str) -> Decimal:
    limit = LIMITS[field]
    if not math.isfinite(value) or not -limit <= Decimal(str(value)) <= limit:
        raise invalid(field, f"Give degrees between -{limit} and {limit}.")
    return Decimal(str(value))
