"""consultation indexes: comments by round, section and time; a process's contributions in order

Revision ID: 0018_consultation_indexes
Revises: 0017_site_state
Create Date: 2026-11-30 14:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_consultation_indexes"
down_revision = "0017_site_state"
branch_labels = None
depends_on = None


def upgrade():
    # A version's and a section's pages count a round's comments by section key, and
    # number them oldest first, from the index alone; the coding workbench reads a
    # process's contributions oldest first, a page at a time. Plain CREATE INDEX (no
    # batch): a batch would rebuild contributions and lose the SQLite full-text triggers.
    op.create_index(
        "ix_contributions_space_section",
        "contributions",
        ["space_kind", "space_id", "section_key", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_contributions_process_created", "contributions", ["process_id", "created_at", "id"], unique=False
    )


def downgrade():
    op.drop_index("ix_contributions_process_created", table_name="contributions")
    op.drop_index("ix_contributions_space_section", table_name="contributions")
