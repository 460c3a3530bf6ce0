"""trusted_document and oauth_client.trusted_documents_only: the operations a partner app registered

Apps registered before this migration keep sending any document (false); apps created from now on
send only their registered documents unless their admin turns it off.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 06:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "oauth_client",
        sa.Column("trusted_documents_only", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "trusted_document",
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("operation_names", sa.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("created_by_member_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_client.id"],
            name=op.f("fk_trusted_document_client_id_oauth_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_member_id"],
            ["member.id"],
            name=op.f("fk_trusted_document_created_by_member_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_document")),
        sa.UniqueConstraint("client_id", "document_hash", name=op.f("uq_trusted_document_client_id")),
    )
    op.create_index(op.f("ix_trusted_document_client_id"), "trusted_document", ["client_id"], unique=False)
    op.create_index(
        op.f("ix_trusted_document_created_by_member_id"), "trusted_document", ["created_by_member_id"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("trusted_document")
    op.drop_column("oauth_client", "trusted_documents_only")
