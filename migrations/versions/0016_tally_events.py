"""tally events: one narrow row per way of taking part, kept up to date by the write that
changes it, so that a summary of a million contributions counts indexed rows

Revision ID: 0016_tally_events
Revises: 0015_mail_notifications
Create Date: 2026-11-30 14:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_tally_events"
down_revision = "0015_mail_notifications"
branch_labels = None
depends_on = None

INDEXES = (
    ("grp", "person"),
    ("grp", "space"),
    ("person", "channel"),
    ("municipality_id", "person"),
    ("profile", "person"),
    ("month", "person"),
    ("space",),
)


def upgrade():
    op.create_table(
        "tally_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("person", sa.String(length=24), nullable=True),
        sa.Column("grp", sa.String(length=40), nullable=False),
        sa.Column("space", sa.String(length=64), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("profile", sa.String(length=20), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attendee_id"], ["attendees.id"], name=op.f("fk_tally_events_attendee_id_attendees"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_tally_events_contribution_id_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name=op.f("fk_tally_events_process_id_processes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tally_events")),
        sa.UniqueConstraint("attendee_id", name=op.f("uq_tally_events_attendee_id")),
        sa.UniqueConstraint("contribution_id", name=op.f("uq_tally_events_contribution_id")),
    )
    for columns in INDEXES:
        op.create_index(f"ix_tally_events_{'_'.join(columns)}", "tally_events", ["process_id", *columns])
    op.create_table(
        "tally_slices",
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("member", sa.String(length=64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name=op.f("fk_tally_slices_process_id_processes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("process_id", "dimension", "value", "kind", "member", name=op.f("pk_tally_slices")),
    )
    # Plain ADD COLUMN (no batch). The table starts empty and not built: the first
    # summary (or ``flask consultations tallies rebuild``) fills it.
    op.add_column("tally_state", sa.Column("events_built", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    op.drop_table("tally_slices")
    with op.batch_alter_table("tally_state", schema=None) as batch_op:
        batch_op.drop_column("events_built")
    for columns in INDEXES:
        op.drop_index(f"ix_tally_events_{'_'.join(columns)}", table_name="tally_events")
    op.drop_table("tally_events")
