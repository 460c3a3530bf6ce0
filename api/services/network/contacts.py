"""Contact details given as input: email addresses and phone numbers, checked and normalised.

Messages never echo the value (it may be a person's own address or number).
"""

from __future__ import annotations

import re

from api.services.shared.checks import invalid

_EMAIL = re.compile(
    r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{2,38}")


def email(value: str, field: str) -> str:
    """An email address, trimmed and lowercased (at most 254 characters)."""
    address = value.strip().lower()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise invalid(field, "Give an email address such as `name@example.org`.")
    return address


def phone(value: str | None, field: str) -> str | None:
    """An optional phone number (digits, spaces, `+ ( ) . -`; at most 40 characters); blank means none."""
    if value is None or not value.strip():
        return None
    number = value.strip()
    if not _PHONE.fullmatch(number) or sum(c.isdigit() for c in number) < 3:
        raise invalid(field, "Give a phone number of digits, spaces and `+ ( ) . -` (at most 40 characters).")
    return number
