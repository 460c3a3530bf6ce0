"""member_role_grant (since when a member holds each role) and personal_access_token.minted_by

A burn's second admin must have held ORG_ADMIN before the burn was requested, through a credential
of their own. ``member_role_grant`` says since when each member holds each role; a trigger on
``member`` keeps it whatever writes the row (a role added starts at clock_timestamp(), a role
removed loses its row, a reactivated member starts anew). Existing roles count from the member's
``created_at``. ``minted_by`` says who created a personal token: SELF, OPERATOR, or UNKNOWN for
tokens created before this revision (SELF when the audit log shows the member minted it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTS_FUNCTION = """
CREATE FUNCTION member_role_grant_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.active AND NOT OLD.active THEN
            DELETE FROM member_role_grant WHERE member_id = NEW.id;
        ELSE
            DELETE FROM member_role_grant WHERE member_id = NEW.id AND NOT (role = ANY (NEW.roles));
        END IF;
    END IF;
    INSERT INTO member_role_grant (member_id, role, granted_at)
    SELECT NEW.id, granted.role, clock_timestamp() FROM unnest(NEW.roles) AS granted(role)
    ON CONFLICT (member_id, role) DO NOTHING;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "member_role_grant",
        sa.Column("member_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_member_role_grant_member_id_member"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", "role", name=op.f("pk_member_role_grant")),
    )  # fmt: skip
    op.execute(
        "INSERT INTO member_role_grant (member_id, role, granted_at) "
        "SELECT m.id, granted.role, m.created_at FROM member m, unnest(m.roles) AS granted(role) "
        "ON CONFLICT DO NOTHING"
    )
    op.execute(GRANTS_FUNCTION)
    op.execute(
        "CREATE TRIGGER member_role_grant_keep AFTER INSERT OR UPDATE OF roles, active ON member "
        "FOR EACH ROW EXECUTE FUNCTION member_role_grant_keep()"
    )
    op.add_column(
        "personal_access_token",
        sa.Column("minted_by", sa.String(length=16), server_default="UNKNOWN", nullable=False),
    )
    op.execute(
        "UPDATE personal_access_token t SET minted_by = 'SELF' WHERE EXISTS ("
        "SELECT 1 FROM audit_event a WHERE a.action = 'MUTATION' "
        "AND 'personalAccessTokenCreate' = ANY (a.fields) AND a.outcome = 'ALLOWED' AND a.actor_client_id IS NULL AND a.actor_member_id = t.member_id "
        "AND t.id = ANY (a.record_ids))"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("personal_access_token", "minted_by")
    op.execute("DROP TRIGGER member_role_grant_keep ON member")
    op.execute("DROP FUNCTION member_role_grant_keep()")
    op.drop_table("member_role_grant")
