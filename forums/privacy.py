"""The forums floor's part of a person's data download: memberships, session
registrations, sign-in sheet entries and reports made."""

from sqlalchemy import select

from core.extensions import db
from core.privacy import iso, register_export
from forums.meetings import Attendee, Meeting, MeetingRegistration
from forums.models import Forum, ForumMember, ThreadRead
from forums.moderation import Flag


def forum_data(user) -> dict:
    """Everything the forums hold about ``user``."""
    memberships = db.session.execute(
        select(Forum.title, ForumMember.joined_at)
        .join(Forum, Forum.id == ForumMember.forum_id)
        .where(ForumMember.user_id == user.id)
        .order_by(ForumMember.id)
    )
    registrations = db.session.execute(
        select(Meeting.title, MeetingRegistration.status, MeetingRegistration.created_at)
        .join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .where(MeetingRegistration.user_id == user.id)
        .order_by(MeetingRegistration.id)
    )
    attendance = db.session.execute(
        select(Meeting.title, Attendee.profile, Attendee.consent, Attendee.checked_in_at)
        .join(Meeting, Meeting.id == Attendee.meeting_id)
        .where(Attendee.user_id == user.id)
        .order_by(Attendee.id)
    )
    flags = db.session.scalars(select(Flag).where(Flag.user_id == user.id).order_by(Flag.id))
    reading = db.session.execute(
        select(ThreadRead.thread_id, ThreadRead.last_number).where(ThreadRead.user_id == user.id)
    )
    return {
        "memberships": [{"forum": title, "joined_at": iso(at)} for title, at in memberships],
        "session_registrations": [
            {"session": title, "status": status, "at": iso(at)} for title, status, at in registrations
        ],
        "session_attendance": [
            {"session": title, "profile": profile, "consent_to_be_named": consent, "checked_in_at": iso(at)}
            for title, profile, consent, at in attendance
        ],
        "reports_made": [
            {"contribution": f.contribution_id, "reason": f.reason, "at": iso(f.created_at)} for f in flags
        ],
        "reading_positions": [{"thread": thread, "last_post_read": number} for thread, number in reading],
    }


register_export("forums", forum_data)
