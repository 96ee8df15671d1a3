"""the site's token: it changes with every committed write a visitor could see, so pages
cached for visitors who are not signed in are never stale

Revision ID: 0017_site_state
Revises: 0016_tally_events
Create Date: 2026-11-30 14:40:00.000000

"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_site_state"
down_revision = "0016_tally_events"
branch_labels = None
depends_on = None


def upgrade():
    state = op.create_table(
        "site_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_state")),
    )
    op.bulk_insert(
        state,
        [{"id": 1, "token": secrets.token_hex(16), "changed_at": datetime.now(UTC).replace(tzinfo=None)}],
    )


def downgrade():
    op.drop_table("site_state")
