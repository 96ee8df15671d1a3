"""Forums, their members, threads and posts. The words people write live in the core
:class:`~core.models.Contribution`; a post points at its contribution."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from core.enums import LabelledEnum
from core.extensions import db
from core.models import Contribution, utcnow
from core.text import stored_html


class ForumKind(LabelledEnum):
    """Who a forum is for."""

    CITIZEN = "citizen", _l("Citizen forum")
    STAFF = "staff", _l("Staff forum")
    EXPERT = "expert", _l("Expert forum")


class ForumStatus(LabelledEnum):
    """Open forums take posts; closed ones are read-only; archived ones are read-only and
    listed apart."""

    OPEN = "open", _l("Open")
    CLOSED = "closed", _l("Closed")
    ARCHIVED = "archived", _l("Archived")


class Forum(db.Model):
    """A standing space of one kind, usually for one municipality, within a process."""

    __tablename__ = "forums"
    __table_args__ = (Index("ix_forums_kind_municipality", "kind", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description_source: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ForumStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    thread_count: Mapped[int] = mapped_column(default=0)
    member_count: Mapped[int] = mapped_column(default=0)

    process = relationship("Process", lazy="joined")
    municipality = relationship("Municipality", lazy="joined")

    @property
    def kind_label(self):
        """The translated kind."""
        return ForumKind(self.kind).label

    @property
    def status_label(self):
        """The translated status."""
        return ForumStatus(self.status).label

    @property
    def is_open(self) -> bool:
        """Whether the forum takes new threads and posts."""
        return self.status == ForumStatus.OPEN.value

    @property
    def description(self):
        """The description's stored, sanitized HTML."""
        return stored_html(self.description_html)


class ForumMember(db.Model):
    """A person who joined, or was invited to, a forum."""

    __tablename__ = "forum_members"
    __table_args__ = (UniqueConstraint("forum_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")


class Thread(db.Model):
    """A discussion in a forum: a title, a first post and replies."""

    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_forum_last_post", "forum_id", "last_post_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    post_count: Mapped[int] = mapped_column(default=0)

    forum = relationship(Forum, lazy="joined")
    author = relationship("User", lazy="joined")

    #: Filled by the pages that ask for them (``with_expression``), ``None`` otherwise:
    #: the last post number the reader has read, whether the title is withheld from
    #: people who do not moderate (:func:`~forums.discussions.services.title_withheld`),
    #: and whether the reader has any report to the moderators waiting.
    read_up_to: Mapped[int | None] = query_expression()
    title_hidden: Mapped[bool | None] = query_expression()
    reports_waiting: Mapped[bool | None] = query_expression()


class Post(db.Model):
    """One message in a thread; its text is a contribution."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("thread_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    #: 1 for the first post, then 2, 3, ... in the order they were written.
    number: Mapped[int]
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), unique=True)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    thread = relationship(Thread, lazy="raise")
    contribution = relationship(Contribution, lazy="raise")
    reply_to = relationship("Post", remote_side=[id], lazy="raise")

    #: Filled by the thread page (``with_expression``), ``None`` otherwise: whether the
    #: reader has flagged the post's words and moderators have not dealt with it yet.
    reported: Mapped[bool | None] = query_expression()

    @property
    def is_deleted(self) -> bool:
        """Deleted by its author: a placeholder stays so replies keep their context."""
        return self.deleted_at is not None


class PostRevision(db.Model):
    """The text a post had before an edit."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def html(self):
        """The stored, sanitized HTML of this earlier version."""
        return stored_html(self.body_html)


class ThreadRead(db.Model):
    """How far a reader got in a thread."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)
