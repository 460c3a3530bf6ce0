"""sign-in: member invitations, passkeys, browser sessions, pending WebAuthn challenges

Only hashes of invitation and session secrets are stored; passkeys hold public keys only.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
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


def _member_fk(table: str, column: str = "member_id", ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["member.id"], name=op.f(f"fk_{table}_{column}_member"), ondelete=ondelete)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "member_invitation",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("invited_by_id", sa.UUID(), nullable=True),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_passkeys", sa.Boolean(), nullable=False),
        *_entity("member_invitation"),
        _member_fk("member_invitation"),
        _member_fk("member_invitation", "invited_by_id", "SET NULL"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_member_invitation_token_hash")),
    )
    op.create_table(
        "passkey",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("transports", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        *_entity("passkey"),
        _member_fk("passkey"),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkey_credential_id")),
    )
    op.create_table(
        "signin_session",
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("device_name", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        *_entity("signin_session"),
        _member_fk("signin_session"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_signin_session_token_hash")),
    )
    op.create_table(
        "webauthn_challenge",
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("challenge", sa.LargeBinary(), nullable=False),
        sa.Column("invitation_id", sa.UUID(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        *_entity("webauthn_challenge"),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["member_invitation.id"],
            name=op.f("fk_webauthn_challenge_invitation_id_member_invitation"), ondelete="CASCADE",
        ),
    )  # fmt: skip
    for table, column in [
        ("member_invitation", "member_id"),
        ("member_invitation", "invited_by_id"),
        ("passkey", "member_id"),
        ("signin_session", "member_id"),
        ("webauthn_challenge", "invitation_id"),
    ]:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    for table in ("webauthn_challenge", "signin_session", "passkey", "member_invitation"):
        op.drop_table(table)
