"""indexes for large processes (contributions and sign-in sheets by person) and the tallies' token

Revision ID: 0013_bench_indexes
Revises: 0012_walk_in_links
Create Date: 2026-11-30 08:40:00.000000

"""
from datetime import datetime, timezone
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_bench_indexes'
down_revision = '0012_walk_in_links'
branch_labels = None
depends_on = None


def upgrade():
    # "Mis aportes" and the data download find what was said for a checked-in person
    # (contributions by attendee, attendees by account) without reading every row. Plain
    # CREATE INDEX (no batch): a batch would rebuild contributions and lose the SQLite
    # full-text triggers.
    op.create_index('ix_contributions_attendee_id', 'contributions', ['attendee_id'], unique=False)
    op.create_index(op.f('ix_attendees_user_id'), 'attendees', ['user_id'], unique=False)
    # The token every summary is remembered under (consultations.tallies.cache).
    state = op.create_table('tally_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tally_state'))
    )
    op.bulk_insert(state, [{
        'id': 1,
        'token': secrets.token_hex(16),
        'changed_at': datetime.now(timezone.utc).replace(tzinfo=None),
    }])


def downgrade():
    op.drop_table('tally_state')
    op.drop_index(op.f('ix_attendees_user_id'), table_name='attendees')
    op.drop_index('ix_contributions_attendee_id', table_name='contributions')
