"""The coarse-area rule: a report's coordinates become a grid cell; nothing finer is ever kept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.services.rapid_response.locations import CoarseArea, bounded_decimals, coarse_area, point
from api.services.shared.errors import UserFacingError


def _area(latitude: float, longitude: float, decimals: int = 2) -> CoarseArea:
    return coarse_area("Kings County", point(latitude, longitude), decimals)


def test_a_point_becomes_its_cell_centre_and_a_label_of_its_south_west_corner() -> None:
    area = _area(40.712776, -74.005974)
    assert area == CoarseArea("Kings County, cell 40.71,-74.01", Decimal("40.715"), Decimal("-74.005"))


def test_without_coordinates_only_the_region_is_kept() -> None:
    assert coarse_area("Kings County", None, 2) == CoarseArea("Kings County", None, None)


@pytest.mark.parametrize(
    ("latitude", "longitude", "label", "centre"),
    [
        (40.71, -74.01, "40.71,-74.01", ("40.715", "-74.005")),  # lower edges belong to the cell
        (40.7199999, -74.0000001, "40.71,-74.01", ("40.715", "-74.005")),  # just below the upper edges
        (40.72, -74.0, "40.72,-74.00", ("40.725", "-73.995")),  # upper edges start the next cell
        (0.0, 0.0, "0.00,0.00", ("0.005", "0.005")),
        (-0.001, -0.001, "-0.01,-0.01", ("-0.005", "-0.005")),  # just below zero is the negative cell
        (-33.8688, 151.2093, "-33.87,151.20", ("-33.865", "151.205")),
        (90, 180, "89.99,179.99", ("89.995", "179.995")),  # the top edges stay in range
        (-90, -180, "-90.00,-180.00", ("-89.995", "-179.995")),
    ],
)
def test_cell_edges_and_negative_coordinates(
    latitude: float, longitude: float, label: str, centre: tuple[str, str]
) -> None:
    area = _area(latitude, longitude)
    assert area.label == f"Kings County, cell {label}"
    assert (area.latitude, area.longitude) == (Decimal(centre[0]), Decimal(centre[1]))


def test_every_point_of_a_cell_gives_the_same_area() -> None:
    corners = [(40.71, -74.01), (40.719, -74.001), (40.7155, -74.0044), (40.71999, -74.00001)]
    assert len({_area(lat, lon) for lat, lon in corners}) == 1


@pytest.mark.parametrize(
    ("decimals", "label", "centre"),
    [
        (0, "40,-75", ("40.500", "-74.500")),
        (1, "40.7,-74.1", ("40.750", "-74.050")),
        (2, "40.71,-74.01", ("40.715", "-74.005")),
        (3, "40.712,-74.006", ("40.712", "-74.006")),  # the half step does not fit 3 stored decimals
        (7, "40.712,-74.006", ("40.712", "-74.006")),  # never finer than 3
        (-2, "40,-75", ("40.500", "-74.500")),  # never coarser than whole degrees
    ],
)
def test_the_precision_setting_is_bounded_to_zero_to_three_decimals(
    decimals: int, label: str, centre: tuple[str, str]
) -> None:
    area = _area(40.712776, -74.005974, decimals)
    assert area.label == f"Kings County, cell {label}"
    assert (area.latitude, area.longitude) == (Decimal(centre[0]), Decimal(centre[1]))
    assert bounded_decimals(decimals) == min(3, max(0, decimals))


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        (91.0, 0.0, "latitude"),
        (-90.5, 0.0, "latitude"),
        (0.0, 180.01, "longitude"),
        (0.0, -181.0, "longitude"),
        (float("nan"), 0.0, "latitude"),
        (0.0, float("inf"), "longitude"),
        (None, 10.0, "latitude"),
        (10.0, None, "longitude"),
    ],
)
def test_out_of_range_or_half_given_coordinates_are_invalid(
    latitude: float | None, longitude: float | None, field: str
) -> None:
    with pytest.raises(UserFacingError) as raised:
        point(latitude, longitude)
    assert (raised.value.code, raised.value.field) == ("INVALID_INPUT", field)
