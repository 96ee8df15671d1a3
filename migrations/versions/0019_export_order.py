"""tally events by process and contribution: an export reads a process's contributions
oldest first along this index, where it sorted every row with its text

Revision ID: 0019_export_order
Revises: 0018_consultation_indexes
Create Date: 2026-11-30 17:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_export_order"
down_revision = "0018_consultation_indexes"
branch_labels = None
depends_on = None


def upgrade():
    # A million contributions of one process were sorted in a temporary B-tree of some
    # 700 MB (SQLite) before the first row of an export; the index gives them in order.
    op.create_index("ix_tally_events_contribution_id", "tally_events", ["process_id", "contribution_id"], unique=False)


def downgrade():
    op.drop_index("ix_tally_events_contribution_id", table_name="tally_events")
