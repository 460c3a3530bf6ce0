"""region.rapid_response_organization_id and rapid_response_incident.routing

The hub designates a RAPID_RESPONSE organization responsible for a region without a team of its own
(its dispatchers then dispatch there), and an incident the network opens (a detention) records how it
was routed to its holder: the region's team, the designated team, or the hub as a last resort.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROUTING = sa.Enum(
    "REGION_TEAM", "DESIGNATED_TEAM", "HUB_FALLBACK",
    name="incident_routing", native_enum=False, create_constraint=True, length=32,
)  # fmt: skip


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("region", sa.Column("rapid_response_organization_id", sa.UUID(), nullable=True))
    op.create_index(
        op.f("ix_region_rapid_response_organization_id"), "region", ["rapid_response_organization_id"], unique=False
    )
    op.create_foreign_key(
        op.f("fk_region_rapid_response_organization_id_organization"),
        "region", "organization", ["rapid_response_organization_id"], ["id"], ondelete="RESTRICT",
    )  # fmt: skip
    op.add_column("rapid_response_incident", sa.Column("routing", _ROUTING, nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("rapid_response_incident", "routing")
    op.drop_constraint(op.f("fk_region_rapid_response_organization_id_organization"), "region", type_="foreignkey")
    op.drop_index(op.f("ix_region_rapid_response_organization_id"), table_name="region")
    op.drop_column("region", "rapid_response_organization_id")
