"""OAuth grants for people: partner apps' redirect URIs, public clients and grant types; authorization codes,
refresh tokens and device codes (only hashes of their secrets)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 06:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
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


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "oauth_client", sa.Column("redirect_uris", sa.ARRAY(sa.String(length=500)), server_default="{}", nullable=False)
    )
    op.add_column("oauth_client", sa.Column("public", sa.Boolean(), server_default="false", nullable=False))
    op.add_column(
        "oauth_client",
        sa.Column("grant_types", sa.ARRAY(sa.String(length=64)), server_default="{client_credentials}", nullable=False),
    )
    op.add_column("oauth_session", sa.Column("auth_time", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "oauth_authorization_code",
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=True),  # NULL: the API's own GraphiQL
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_name", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_id", sa.UUID(), nullable=True),
        *_entity("oauth_authorization_code"),
        _fk("oauth_authorization_code", "member_id", "member"),
        _fk("oauth_authorization_code", "client_id", "oauth_client"),
        _fk("oauth_authorization_code", "session_id", "oauth_session"),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oauth_authorization_code_code_hash")),
    )
    op.create_table(
        "oauth_refresh_token",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        *_entity("oauth_refresh_token"),
        _fk("oauth_refresh_token", "session_id", "oauth_session"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oauth_refresh_token_token_hash")),
    )
    op.create_table(
        "oauth_device_code",
        sa.Column("device_code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("user_code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("device_name", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.UUID(), nullable=True),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=True),
        *_entity("oauth_device_code"),
        _fk("oauth_device_code", "client_id", "oauth_client"),
        _fk("oauth_device_code", "member_id", "member"),
        sa.UniqueConstraint("device_code_hash", name=op.f("uq_oauth_device_code_device_code_hash")),
        sa.UniqueConstraint("user_code_hash", name=op.f("uq_oauth_device_code_user_code_hash")),
    )
    for table, column in [
        ("oauth_authorization_code", "member_id"),
        ("oauth_authorization_code", "client_id"),
        ("oauth_authorization_code", "session_id"),
        ("oauth_refresh_token", "session_id"),
        ("oauth_device_code", "client_id"),
        ("oauth_device_code", "member_id"),
    ]:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    for table in ("oauth_device_code", "oauth_refresh_token", "oauth_authorization_code"):
        op.drop_table(table)
    op.drop_column("oauth_session", "auth_time")
    for column in ("grant_types", "public", "redirect_uris"):
        op.drop_column("oauth_client", column)
