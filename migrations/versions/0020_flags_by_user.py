"""flags by the person who raised them, open ones first: a thread page asks whether its
reader has any report waiting

Revision ID: 0020_flags_by_user
Revises: 0019_export_order
Create Date: 2026-11-30 17:45:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_flags_by_user"
down_revision = "0019_export_order"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_flags_user_open", "flags", ["user_id", "resolved_at"], unique=False)


def downgrade():
    op.drop_index("ix_flags_user_open", table_name="flags")
