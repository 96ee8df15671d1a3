"""e-mail: the outbox, and when an account's address was confirmed

Revision ID: 0014_mail
Revises: 0013_bench_indexes
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_mail'
down_revision = '0013_bench_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outgoing_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mails'))
    )
    op.create_index('ix_outgoing_mails_due', 'outgoing_mails', ['status', 'next_attempt_at'], unique=False)
    # A plain ADD COLUMN (no batch): SQLite does not rebuild the users table, so the
    # search triggers of migrations 0002/0006 are untouched. Existing accounts stay
    # unconfirmed and are reminded.
    op.add_column('users', sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
    op.drop_index('ix_outgoing_mails_due', table_name='outgoing_mails')
    op.drop_table('outgoing_mails')
