"""notifications by e-mail: each person's choice, their last daily summary, and the
unsubscribe address of an outgoing mail

Revision ID: 0015_mail_notifications
Revises: 0014_mail
Create Date: 2026-12-01 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_mail_notifications"
down_revision = "0014_mail"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no batch): SQLite does not rebuild the users table, so the
    # search triggers of migrations 0002/0006 are untouched. Everyone starts with the
    # daily summary (the default the issue asks for).
    op.add_column("users", sa.Column("notification_mail", sa.String(length=10), nullable=False, server_default="daily"))
    op.add_column("users", sa.Column("last_digest_at", sa.DateTime(), nullable=True))
    op.add_column(
        "outgoing_mails", sa.Column("unsubscribe_url", sa.String(length=500), nullable=False, server_default="")
    )


def downgrade():
    with op.batch_alter_table("outgoing_mails", schema=None) as batch_op:
        batch_op.drop_column("unsubscribe_url")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_digest_at")
        batch_op.drop_column("notification_mail")
