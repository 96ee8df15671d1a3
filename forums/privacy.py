"""The forums floor's part of a person's data download and of deleting an account.

Download: memberships, threads started, earlier versions of one's posts, session
registrations, sign-in sheet entries (sessions and workshops), workshop invitations, dot
votes, reports made and reading positions. Collectors return plain values; the core
formats them (:mod:`core.privacy`).

Deletion removes memberships, registrations (a place freed at an upcoming session goes to
the waiting list), invitations, dot votes (the dots already counted on cards stay, without
anyone's name), reports and their reasons, earlier versions of posts and reading
positions; it anonymises sign-in sheet entries (no account, name or municipality: the
person is still counted as someone who was in the room). Contributions and thread titles
stay, attributed to "deleted participant".
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from core.extensions import db
from core.models import Contribution
from core.privacy import register_eraser, register_export, register_labels, register_value_labels
from core.spaces import places_of
from forums.discussions.models import Forum, ForumMember, Post, PostRevision, Thread, ThreadRead
from forums.discussions.services import post_path
from forums.meetings import services as meetings
from forums.meetings.models import Meeting, MeetingRegistration, MeetingStatus, RegistrationStatus
from forums.moderation.models import Flag
from forums.sheets.models import Attendee, Profile
from forums.workshops.boards.models import Board, Card, Vote
from forums.workshops.models import InvitationRole, Workshop, WorkshopInvitation

register_labels(
    {
        "forums": _l("Forums, sessions and workshops"),
        "memberships": _l("Forum memberships"),
        "threads_started": _l("Threads started"),
        "earlier_versions": _l("Earlier versions of your posts"),
        "session_registrations": _l("Session registrations"),
        "sheet_entries": _l("Sign-in sheets"),
        "workshop_invitations": _l("Workshop invitations"),
        "votes": _l("Dot votes"),
        "reports_made": _l("Reports made to the moderators"),
        "reading_positions": _l("Reading positions"),
        "forum": _l("Forum"),
        "joined_at": _l("Joined"),
        "title": _l("Title"),
        "session": _l("Session"),
        "gathering": _l("Session or workshop"),
        "workshop": _l("Workshop"),
        "board": _l("Board"),
        "card": _l("Card"),
        "dots": _l("Dots"),
        "profile": _l("Profile"),
        "consent_to_be_named": _l("Agreed to be named"),
        "checked_in_at": _l("Checked in"),
        "invited_at": _l("Invited"),
        "written_at": _l("Written"),
        "replaced_at": _l("Replaced"),
        "reason": _l("Reason"),
        "resolved": _l("Looked at by a moderator"),
        "thread": _l("Thread"),
        "last_post_read": _l("Last post read"),
    }
)
register_value_labels("session_registrations.status", {s.value: s.label for s in RegistrationStatus})
register_value_labels("sheet_entries.profile", {p.value: p.label for p in Profile})
register_value_labels("workshop_invitations.role", {r.value: r.label for r in InvitationRole})


def forum_data(user) -> dict:
    """Everything the forums hold about ``user``."""
    uid = user.id
    memberships = db.session.execute(
        select(Forum.title, ForumMember.joined_at)
        .join(Forum, Forum.id == ForumMember.forum_id)
        .where(ForumMember.user_id == uid)
        .order_by(ForumMember.id)
    )
    threads = db.session.execute(
        select(Thread.id, Thread.title, Forum.title, Thread.created_at)
        .join(Forum, Forum.id == Thread.forum_id)
        .where(Thread.author_id == uid)
        .order_by(Thread.id)
    )
    versions = db.session.execute(
        select(Post.id, PostRevision.body_source, PostRevision.written_at, PostRevision.replaced_at)
        .join(Post, Post.id == PostRevision.post_id)
        .where(Post.contribution.has(author_id=uid))
        .order_by(PostRevision.id)
    )
    registrations = db.session.execute(
        select(Meeting.title, MeetingRegistration.status, MeetingRegistration.created_at)
        .join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .where(MeetingRegistration.user_id == uid)
        .order_by(MeetingRegistration.id)
    )
    sheets = db.session.execute(
        select(Meeting.title, Workshop.title, Attendee.profile, Attendee.consent, Attendee.checked_in_at)
        .outerjoin(Meeting, Meeting.id == Attendee.meeting_id)
        .outerjoin(Workshop, Workshop.id == Attendee.workshop_id)
        .where(Attendee.user_id == uid)
        .order_by(Attendee.id)
    )
    invitations = db.session.execute(
        select(Workshop.title, WorkshopInvitation.role, WorkshopInvitation.invited_at)
        .join(Workshop, Workshop.id == WorkshopInvitation.workshop_id)
        .where(WorkshopInvitation.user_id == uid)
        .order_by(WorkshopInvitation.id)
    )
    votes = db.session.execute(
        select(Board.title, Contribution.body_source, Vote.dots)
        .join(Card, Card.id == Vote.card_id)
        .join(Board, Board.id == Card.board_id)
        .outerjoin(Contribution, Contribution.id == Card.contribution_id)
        .where(Vote.user_id == uid)
        .order_by(Vote.id)
    ).all()
    flags = db.session.scalars(select(Flag).where(Flag.user_id == uid).order_by(Flag.id)).all()
    reading = db.session.execute(
        select(Thread.title, ThreadRead.last_number)
        .join(Thread, Thread.id == ThreadRead.thread_id)
        .where(ThreadRead.user_id == uid)
        .order_by(Thread.id)
    )
    flagged = db.session.scalars(select(Contribution).where(Contribution.id.in_([f.contribution_id for f in flags])))
    places = places_of(flagged)
    return {
        "memberships": [{"forum": title, "joined_at": at} for title, at in memberships],
        "threads_started": [
            {"title": title, "forum": forum, "created_at": at, "link": f"/forums/threads/{thread_id}"}
            for thread_id, title, forum, at in threads
        ],
        "earlier_versions": [
            {"link": post_path(post_id), "text": text, "written_at": written, "replaced_at": replaced}
            for post_id, text, written, replaced in versions
        ],
        "session_registrations": [
            {"session": title, "status": status, "at": at} for title, status, at in registrations
        ],
        "sheet_entries": [
            {
                "gathering": meeting or workshop,
                "profile": profile,
                "consent_to_be_named": consent,
                "checked_in_at": at,
            }
            for meeting, workshop, profile, consent, at in sheets
        ],
        "workshop_invitations": [
            {"workshop": title, "role": role, "invited_at": at} for title, role, at in invitations
        ],
        "votes": [{"board": board, "card": card, "dots": dots} for board, card, dots in votes],
        "reports_made": [
            {
                "place": places[f.contribution_id].title if f.contribution_id in places else None,
                "link": places[f.contribution_id].link if f.contribution_id in places else None,
                "reason": f.reason,
                "at": f.created_at,
                "resolved": f.resolved_at is not None,
            }
            for f in flags
        ],
        "reading_positions": [{"thread": title, "last_post_read": number} for title, number in reading],
    }


def erase_forum_data(user) -> None:
    """Remove or anonymise what the forums hold about ``user`` (see the module docstring)."""
    uid = user.id
    for member in db.session.scalars(select(ForumMember).where(ForumMember.user_id == uid)):
        db.session.execute(update(Forum).where(Forum.id == member.forum_id).values(member_count=Forum.member_count - 1))
        db.session.delete(member)
    upcoming = db.session.scalars(
        select(Meeting)
        .join(MeetingRegistration, MeetingRegistration.meeting_id == Meeting.id)
        .where(
            MeetingRegistration.user_id == uid,
            MeetingRegistration.status != RegistrationStatus.CANCELLED.value,
            Meeting.status == MeetingStatus.SCHEDULED.value,
        )
    ).all()
    for meeting in upcoming:
        meetings.unregister(user, meeting)
    db.session.execute(delete(MeetingRegistration).where(MeetingRegistration.user_id == uid))
    db.session.execute(
        update(Attendee).where(Attendee.user_id == uid).values(user_id=None, name="", municipality_id=None)
    )
    db.session.execute(delete(WorkshopInvitation).where(WorkshopInvitation.user_id == uid))
    db.session.execute(delete(Vote).where(Vote.user_id == uid))
    db.session.execute(delete(Flag).where(Flag.user_id == uid))
    own_posts = select(Post.id).where(Post.contribution.has(author_id=uid))
    db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(own_posts)))
    db.session.execute(delete(ThreadRead).where(ThreadRead.user_id == uid))
    db.session.flush()


register_export("forums", forum_data)
register_eraser("forums", erase_forum_data)
