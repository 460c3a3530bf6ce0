"""signin_session.revoked_reason: why a browser session ended (signed out, ended by the member or an admin,
deactivation, recovery), as oauth_session records it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 06:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("signin_session", sa.Column("revoked_reason", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("signin_session", "revoked_reason")
