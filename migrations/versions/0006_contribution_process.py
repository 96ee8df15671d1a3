"""every contribution knows its process; space kinds named after what space_id points at;
attendee_id gets a real foreign key

Revision ID: 0006_contribution_process
Revises: 0005_workshops
Create Date: 2026-11-30 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_contribution_process'
down_revision = '0005_workshops'
branch_labels = None
depends_on = None

# Old space kind -> new (named after what space_id points at).
RENAMED = {"forum_thread": "thread", "forum_session": "meeting", "workshop_board": "board"}

# The process of each kind's contributions, through the space they point at.
BACKFILL = {
    "thread": "SELECT forums.process_id FROM threads JOIN forums ON forums.id = threads.forum_id "
    "WHERE threads.id = contributions.space_id",
    "meeting": "SELECT forums.process_id FROM meetings JOIN forums ON forums.id = meetings.forum_id "
    "WHERE meetings.id = contributions.space_id",
    "board": "SELECT workshops.process_id FROM boards JOIN workshops ON workshops.id = boards.workshop_id "
    "WHERE boards.id = contributions.space_id",
}

# SQLite's full-text triggers live on the contributions table, which a batch migration
# copies and drops: they are dropped first and made again afterwards (see 0002).
FTS_TRIGGERS = [
    "CREATE TRIGGER contributions_fts_ai AFTER INSERT ON contributions BEGIN "
    "INSERT INTO contributions_fts(rowid, body_source) VALUES (new.id, new.body_source); END",
    "CREATE TRIGGER contributions_fts_ad AFTER DELETE ON contributions BEGIN "
    "INSERT INTO contributions_fts(contributions_fts, rowid, body_source) "
    "VALUES ('delete', old.id, old.body_source); END",
    "CREATE TRIGGER contributions_fts_au AFTER UPDATE OF body_source ON contributions BEGIN "
    "INSERT INTO contributions_fts(contributions_fts, rowid, body_source) "
    "VALUES ('delete', old.id, old.body_source); "
    "INSERT INTO contributions_fts(rowid, body_source) VALUES (new.id, new.body_source); END",
    "INSERT INTO contributions_fts(contributions_fts) VALUES ('rebuild')",
]


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _drop_triggers():
    if _sqlite():
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS contributions_fts_{trigger}")


def _make_triggers():
    if _sqlite():
        for statement in FTS_TRIGGERS:
            op.execute(statement)


def upgrade():
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('process_id', sa.Integer(), nullable=True))
    for old, new in RENAMED.items():
        op.execute(sa.text("UPDATE contributions SET space_kind = :new WHERE space_kind = :old").bindparams(old=old, new=new))
    for kind, source in BACKFILL.items():
        op.execute(
            sa.text(f"UPDATE contributions SET process_id = ({source}) WHERE space_kind = :kind").bindparams(kind=kind)
        )
    # A remark whose attendee row is gone keeps its words, without the dangling link.
    op.execute("UPDATE contributions SET attendee_id = NULL WHERE attendee_id IS NOT NULL "
               "AND attendee_id NOT IN (SELECT id FROM attendees)")
    _drop_triggers()
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.alter_column('process_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_contributions_process_id', ['process_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_contributions_process_id_processes'), 'processes', ['process_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_contributions_attendee_id_attendees'), 'attendees', ['attendee_id'], ['id'], ondelete='SET NULL')
    _make_triggers()


def downgrade():
    _drop_triggers()
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contributions_attendee_id_attendees'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_contributions_process_id_processes'), type_='foreignkey')
        batch_op.drop_index('ix_contributions_process_id')
        batch_op.drop_column('process_id')
    _make_triggers()
    for old, new in RENAMED.items():
        op.execute(sa.text("UPDATE contributions SET space_kind = :old WHERE space_kind = :new").bindparams(old=old, new=new))
