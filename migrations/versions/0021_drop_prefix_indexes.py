"""drop two indexes of contributions that longer ones begin with: by space (kind, id) and by process

Revision ID: 0021_drop_prefix_indexes
Revises: 0020_flags_by_user
Create Date: 2026-11-30 18:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_drop_prefix_indexes"
down_revision = "0020_flags_by_user"
branch_labels = None
depends_on = None


def upgrade():
    # ix_contributions_space_section starts with (space_kind, space_id) and
    # ix_contributions_process_created with process_id: they answer the same look-ups,
    # and every contribution written updated two B-trees more. Plain DROP INDEX (no
    # batch): a batch would rebuild contributions and lose the SQLite full-text triggers.
    op.drop_index("ix_contributions_space", table_name="contributions")
    op.drop_index("ix_contributions_process_id", table_name="contributions")


def downgrade():
    op.create_index("ix_contributions_process_id", "contributions", ["process_id"], unique=False)
    op.create_index("ix_contributions_space", "contributions", ["space_kind", "space_id"], unique=False)
