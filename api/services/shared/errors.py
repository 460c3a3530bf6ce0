"""Expected failures of business operations, reported to clients as user errors."""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected failure: a code from the mutation's error enum, the input field, a safe message."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class UserFacingErrors(UserFacingError):
    """Several expected failures at once (one per item of a list input): all are reported, nothing is changed."""

    def __init__(self, errors: list[UserFacingError]) -> None:
        super().__init__(errors[0].code, errors[0].message, errors[0].field)
        self.errors = errors
