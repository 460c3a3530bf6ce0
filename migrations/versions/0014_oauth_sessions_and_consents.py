"""oauth_session and oauth_consent: partner apps acting for a signed-in member

A session is one authorization code or device grant and its refresh chain (access tokens carry its id;
a NULL client is the API's own GraphiQL);
a consent is remembered per member and app until revoked.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 06:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _entity(table: str) -> list[sa.Column[object]]:
    """The columns every entity has (id, timestamps, version)."""
    return [
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _fks(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f(f"fk_{table}_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["oauth_client.id"], name=op.f(f"fk_{table}_client_id_oauth_client"), ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "oauth_session",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=True),  # NULL: the API's own GraphiQL
        sa.Column("grant_type", sa.String(length=32), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("device_name", sa.String(length=200), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        *_entity("oauth_session"),
        *_fks("oauth_session"),
    )
    op.create_table(
        "oauth_consent",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        *_entity("oauth_consent"),
        *_fks("oauth_consent"),
        sa.UniqueConstraint("member_id", "client_id", name=op.f("uq_oauth_consent_member_id")),
    )
    for table in ("oauth_session", "oauth_consent"):
        for column in ("member_id", "client_id"):
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("oauth_consent")
    op.drop_table("oauth_session")
