"""The ``table.column`` name of a column (``storage_name``) is the one name that binds a sealed value to
its column (it is part of the ciphertext's associated data) and the key of the field rule's GRANTS."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column

from api.auth.fields import GRANTS
from api.models import Base
from api.models.base import storage_name
from api.services.accompaniment.requests import NOTES_COLUMN
from api.services.rapid_response.incidents import EXACT_LOCATION, REPORTER_CONTACT, TIMELINE_NOTE


def _sealed_attributes() -> list[tuple[Any, Column[Any]]]:
    """Every mapped attribute of a sealed column, with its Core column."""
    found = []
    for mapper in Base.registry.mappers:
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if isinstance(column, Column) and column.info.get("sealed"):
                found.append((getattr(mapper.class_, prop.key), column))
    return found


def _all_storage_names() -> set[str]:
    return {storage_name(column) for table in Base.metadata.tables.values() for column in table.columns}


def test_mapped_attribute_and_core_column_share_the_storage_name() -> None:
    attributes = _sealed_attributes()
    assert attributes, "no sealed column found"
    for attribute, column in attributes:
        expected = f"{column.table.name}.{column.name}"
        assert storage_name(attribute) == expected
        assert storage_name(column) == expected


def test_every_sealed_table_column_is_mapped() -> None:
    sealed = {
        storage_name(column)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.info.get("sealed")
    }
    assert sealed == {storage_name(column) for _attribute, column in _sealed_attributes()}


def test_grants_name_existing_columns() -> None:
    existing = _all_storage_names()
    sealed = {storage_name(column) for _attribute, column in _sealed_attributes()}
    assert [key for key in GRANTS if key not in existing] == []
    # the grants of sealed columns are found under the name their ciphertexts are bound to
    assert {key for key in GRANTS if key in sealed}, "no grant names a sealed column"


def test_service_constants_keep_the_names_stored_ciphertexts_are_bound_to() -> None:
    assert EXACT_LOCATION == "rapid_response_incident.exact_location"
    assert REPORTER_CONTACT == "rapid_response_incident.reporter_contact"
    assert TIMELINE_NOTE == "incident_timeline_event.note"
    assert NOTES_COLUMN == "accompaniment_request.notes"
