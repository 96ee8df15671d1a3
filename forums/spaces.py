"""The forums floor's kinds of space, registered with :mod:`core.spaces`: forum threads
(posts), sessions (remarks written down in the room) and workshop boards (cards)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, true

from core.extensions import db
from core.models import Contribution
from core.privacy import extend_value_labels
from core.spaces import Place, Space, SpaceKind, register_space
from forums.discussions.models import Forum, Post, Thread
from forums.discussions.services import post_path, visible_filter
from forums.meetings.models import Meeting
from forums.meetings.services import meeting_path
from forums.workshops.boards.models import Board, Card
from forums.workshops.boards.services import card_seen_differently
from forums.workshops.models import Workshop


def _thread_places(contributions: list[Contribution]) -> dict[int, Place]:
    rows = db.session.execute(
        select(Post.contribution_id, Post.id, Thread.title, Forum.process_id, Forum.municipality_id)
        .join(Thread, Post.thread_id == Thread.id)
        .join(Forum, Thread.forum_id == Forum.id)
        .where(Post.contribution_id.in_([c.id for c in contributions]))
    )
    return {
        contribution_id: Place(title, post_path(post_id), process_id, municipality_id)
        for contribution_id, post_id, title, process_id, municipality_id in rows
    }


def _thread_visible(viewer):
    # A correlated EXISTS: SQLite would build the list of every visible thread again
    # for each statement that has an IN (SELECT ...) (tens of thousands of ids).
    return (
        select(Thread.id)
        .join(Forum, Thread.forum_id == Forum.id)
        .where(Thread.id == Contribution.space_id, visible_filter(viewer))
        .exists()
    )


def _meeting_places(contributions: list[Contribution]) -> dict[int, Place]:
    rows = db.session.execute(
        select(Meeting.id, Meeting.title, Forum.process_id, Forum.municipality_id)
        .join(Forum, Meeting.forum_id == Forum.id)
        .where(Meeting.id.in_({c.space_id for c in contributions}))
    )
    meetings = {
        meeting_id: (title, process_id, municipality_id) for meeting_id, title, process_id, municipality_id in rows
    }
    found = {}
    for c in contributions:
        if c.space_id in meetings:
            title, process_id, municipality_id = meetings[c.space_id]
            found[c.id] = Place(title, meeting_path(c.space_id), process_id, municipality_id)
    return found


def _meeting_visible(viewer):
    return (
        select(Meeting.id)
        .join(Forum, Meeting.forum_id == Forum.id)
        .where(Meeting.id == Contribution.space_id, visible_filter(viewer))
        .exists()
    )


def _board_places(contributions: list[Contribution]) -> dict[int, Place]:
    rows = db.session.execute(
        select(Card.contribution_id, Card.id, Board.id, Board.title, Workshop.title, Workshop.process_id)
        .join(Board, Card.board_id == Board.id)
        .join(Workshop, Board.workshop_id == Workshop.id)
        .where(Card.contribution_id.in_([c.id for c in contributions]))
    )
    return {
        contribution_id: Place(f"{workshop} › {board}", f"/forums/boards/{board_id}#card-{card_id}", process_id)
        for contribution_id, card_id, board_id, board, workshop, process_id in rows
    }


def _board_visible(viewer):
    # Workshops and their boards are public to read.
    return true()


register_space(Space(SpaceKind.THREAD, _thread_places, _thread_visible))
register_space(Space(SpaceKind.MEETING, _meeting_places, _meeting_visible))
register_space(Space(SpaceKind.BOARD, _board_places, _board_visible, card_seen_differently))

extend_value_labels(
    "space_kind",
    {
        SpaceKind.THREAD.value: _l("Forum thread"),
        SpaceKind.MEETING.value: _l("Session"),
        SpaceKind.BOARD.value: _l("Workshop board"),
    },
)
