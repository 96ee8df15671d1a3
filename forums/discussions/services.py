"""Forum rules: who sees and posts where, membership, threads, posts, reading
position and search. Services flush; the request commits."""

import re
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, exists, false, func, or_, select, true
from sqlalchemy.orm import Load, defer, joinedload, lazyload, with_expression

from accounts.models import Process, User
from accounts.services import find_by_email
from core import database
from core.extensions import db
from core.models import Channel, Contribution, utcnow
from core.notifications import notify, register_kinds
from core.permissions import is_manager
from core.roles import Role
from core.spaces import SpaceKind
from core.text import checked_text, render_markdown
from core.visibility import public_condition
from forums.common import BODY_MAX, TITLE_MAX, ForumError, account_load
from forums.discussions.models import (
    Forum,
    ForumKind,
    ForumMember,
    ForumStatus,
    Post,
    PostRevision,
    Thread,
    ThreadRead,
)
from forums.moderation.models import Flag
from forums.moderation.services import flagged_by

register_kinds({"forum.reply": lambda p: _("%(name)s replied to your post in “%(thread)s”.", **p)}, group=_l("Forums"))


# Who may do what ----------------------------------------------------------------------


def staff_municipalities(user) -> list[int]:
    """The municipalities whose verified official ``user`` is."""
    return [a.municipality_id for a in user.role_assignments if a.role == Role.STAFF.value and a.municipality_id]


def visible_filter(user):
    """A SQL condition on :class:`Forum` true for the forums ``user`` may see."""
    if is_manager(user):
        return true()
    conditions = [Forum.kind == ForumKind.CITIZEN.value]
    if user and user.is_authenticated and user.is_active:
        municipalities = staff_municipalities(user)
        if municipalities:
            conditions.append(and_(Forum.kind == ForumKind.STAFF.value, Forum.municipality_id.in_(municipalities)))
        conditions.append(
            and_(
                Forum.kind == ForumKind.EXPERT.value,
                Forum.id.in_(select(ForumMember.forum_id).where(ForumMember.user_id == user.id)),
            )
        )
    return or_(*conditions) if conditions else false()


def membership(user, forum: Forum) -> ForumMember | None:
    """The user's membership of ``forum``, if any."""
    if not (user and user.is_authenticated):
        return None
    return db.session.scalar(
        select(ForumMember).where(ForumMember.forum_id == forum.id, ForumMember.user_id == user.id)
    )


def can_view(user, forum: Forum, member: ForumMember | None = None) -> bool:
    """Whether ``user`` may see ``forum`` at all (others get 404)."""
    if forum.kind == ForumKind.CITIZEN.value or is_manager(user):
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    if forum.kind == ForumKind.STAFF.value:
        return user.has_role(Role.STAFF, municipality_id=forum.municipality_id)
    return member is not None


def can_post(user, forum: Forum, member: ForumMember | None) -> bool:
    """Whether ``user`` may start threads and reply in ``forum`` now."""
    if not (user and user.is_authenticated and user.is_active) or not forum.is_open or user.is_blocked:
        return False
    if not can_view(user, forum, member):
        return False
    return member is not None or is_manager(user)


def can_join(user, forum: Forum, member: ForumMember | None) -> bool:
    """Open citizen and staff forums take anyone who may see them; expert forums invite."""
    return (
        bool(user and user.is_authenticated)
        and member is None
        and forum.is_open
        and forum.kind != ForumKind.EXPERT.value
        and can_view(user, forum, member)
    )


def post_error(user, forum: Forum, member: ForumMember | None):
    """Why ``user`` may not post in ``forum`` (a translated message), or ``None``."""
    if not forum.is_open:
        return _l("This forum is closed: it can be read but takes no new posts.")
    if user and user.is_authenticated and user.is_blocked:
        return _l("Your account is blocked: you can read but not post.")
    if not can_post(user, forum, member):
        return _l("Join this forum to take part.")
    return None


# Loading what forum pages show ---------------------------------------------------------

#: A forum with what its pages print of it (process title, municipality), not the
#: process's phases, which forum pages never show.
FORUM_LOAD = joinedload(Forum.process).lazyload(Process.phases)


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


def _with_membership(statement, forum_id, user):
    """The first row of ``statement`` (one entity) and ``user``'s membership of the forum
    ``forum_id`` (a column of it), in the same query: ``(entity, member or None)``, or
    ``None`` when there is no row."""
    if not _signed_in(user):
        found = db.session.scalar(statement)
        return None if found is None else (found, None)
    row = db.session.execute(
        statement.add_columns(ForumMember)
        .outerjoin(ForumMember, and_(ForumMember.forum_id == forum_id, ForumMember.user_id == user.id))
        .options(lazyload(ForumMember.user))
    ).first()
    return None if row is None else (row[0], row[1])


def forum_with_membership(user, forum_id: int) -> tuple[Forum, ForumMember | None] | None:
    """The forum ``forum_id`` and ``user``'s membership of it, in one query; ``None`` if
    there is no such forum."""
    return _with_membership(select(Forum).where(Forum.id == forum_id).options(FORUM_LOAD), Forum.id, user)


def title_withheld(thread_id):
    """A SQL condition: the first post of the thread ``thread_id`` (a column or a value)
    is hidden or by a blocked account, so people who do not moderate are not shown the
    thread's title."""
    return exists().where(
        Post.thread_id == thread_id,
        Post.number == 1,
        Contribution.id == Post.contribution_id,
        ~public_condition(),
    )


def read_position(user_id, thread_id):
    """A SQL expression: the last post number the account ``user_id`` (a value or a bound
    parameter) read in the thread ``thread_id`` (a column), or NULL."""
    return (
        select(ThreadRead.last_number)
        .where(ThreadRead.user_id == user_id, ThreadRead.thread_id == thread_id)
        .scalar_subquery()
    )


def _reader_state(user_id, manager: bool, reports: bool = False) -> list:
    """``with_expression`` options filling :class:`Thread`'s reading position (for the
    account ``user_id``, if any), withheld title (people who do not moderate) and, with
    ``reports``, whether the account has any report waiting."""
    options = [with_expression(Thread.title_hidden, false() if manager else title_withheld(Thread.id))]
    if user_id is not None:
        options.append(with_expression(Thread.read_up_to, read_position(user_id, Thread.id)))
        if reports:
            waiting = exists().where(Flag.user_id == user_id, Flag.resolved_at.is_(None))
            options.append(with_expression(Thread.reports_waiting, waiting))
    return options


@cache
def _thread_statement(manager: bool, signed_in: bool):
    """:func:`thread_with_state`'s statement for one kind of reader, built once, with the
    thread and the account as bound parameters: every thread page asks for it, and
    building it (its options, its cache key) cost several times what running it does."""
    reader = bindparam("user_id") if signed_in else None
    statement = (
        select(Thread)
        .where(Thread.id == bindparam("thread_id"))
        .options(
            lazyload(Thread.author),
            # Only what the thread's pages and their rules read of the forum: they name
            # neither its process nor its municipality, nor show its description.
            joinedload(Thread.forum).options(
                lazyload(Forum.process),
                lazyload(Forum.municipality),
                defer(Forum.description_source),
                defer(Forum.description_html),
            ),
            *_reader_state(reader, manager, reports=not manager),
        )
    )
    if signed_in:
        statement = (
            statement.add_columns(ForumMember)
            .outerjoin(ForumMember, and_(ForumMember.forum_id == Thread.forum_id, ForumMember.user_id == reader))
            .options(lazyload(ForumMember.user))
        )
    return statement


def thread_with_state(user, thread_id: int, manager: bool) -> tuple[Thread, ForumMember | None] | None:
    """The thread ``thread_id`` with its forum, ``user``'s membership of the forum, how far
    they read it and whether its title is withheld from them, in one query; ``None`` if
    there is no such thread; for a reader who does not moderate, also whether they have
    any report waiting."""
    signed_in = _signed_in(user)
    parameters = {"thread_id": thread_id, **({"user_id": user.id} if signed_in else {})}
    row = db.session.execute(_thread_statement(manager, signed_in), parameters).first()
    if row is None:
        return None
    return row[0], row[1] if signed_in else None


def threads_page_query(forum: Forum, user, manager: bool):
    """A forum's threads, newest activity first, with their authors' names, and for
    ``user`` how far they read each and whether its title is withheld from them."""
    return (
        select(Thread)
        .where(Thread.forum_id == forum.id)
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .options(
            lazyload(Thread.forum),
            account_load(joinedload(Thread.author)),
            *_reader_state(user.id if _signed_in(user) else None, manager),
        )
    )


# Forums and members -------------------------------------------------------------------


def create_forum(actor: User, process_id, kind, municipality_id, title, description) -> Forum:
    """Open a new forum. Raises :class:`ForumError` if a citizen or staff forum has no
    municipality."""
    kind = ForumKind(kind)
    if kind != ForumKind.EXPERT and not municipality_id:
        raise ForumError(_l("Citizen and staff forums belong to a municipality."))
    forum = Forum(
        process_id=process_id,
        kind=kind.value,
        municipality_id=municipality_id,
        created_by_id=actor.id,
        status=ForumStatus.OPEN.value,
    )
    update_forum(forum, title, description)
    db.session.add(forum)
    db.session.flush()
    return forum


def update_forum(forum: Forum, title: str, description: str) -> None:
    """Change the title and description (rendered once, here)."""
    forum.title = title.strip()
    forum.description_source = description or ""
    forum.description_html = render_markdown(description or "")


def set_status(forum: Forum, status) -> None:
    """Open, close (read-only) or archive a forum."""
    forum.status = ForumStatus(status).value


def _add_member(forum: Forum, user: User, invited_by: User | None = None) -> ForumMember:
    member = ForumMember(forum_id=forum.id, user_id=user.id, invited_by_id=getattr(invited_by, "id", None))
    db.session.add(member)
    forum.member_count = Forum.member_count + 1
    db.session.flush()
    db.session.refresh(forum, ["member_count"])
    return member


def join(user: User, forum: Forum) -> ForumMember:
    """Join an open forum. Raises :class:`ForumError` when that is not allowed."""
    member = membership(user, forum)
    if not can_join(user, forum, member):
        raise ForumError(_l("You cannot join this forum."))
    return _add_member(forum, user)


def leave(user: User, forum: Forum) -> None:
    """Leave a forum (what one wrote stays). Raises :class:`ForumError` if not a member."""
    member = membership(user, forum)
    if member is None:
        raise ForumError(_l("You are not a member of this forum."))
    db.session.delete(member)
    forum.member_count = Forum.member_count - 1
    db.session.flush()


def invite(actor: User, forum: Forum, email: str) -> ForumMember:
    """Add the account with ``email`` to the forum. Raises :class:`ForumError` for an
    unknown email, an existing member or someone who may not see the forum."""
    user = find_by_email(email)
    if user is None:
        raise ForumError(_l("There is no account with this email."))
    if membership(user, forum) is not None:
        raise ForumError(_l("This person is already a member."))
    if forum.kind == ForumKind.STAFF.value and not (
        user.has_role(Role.STAFF, municipality_id=forum.municipality_id) or is_manager(user)
    ):
        raise ForumError(_l("Only verified officials of this municipality can be members of its staff forum."))
    return _add_member(forum, user, invited_by=actor)


def remove_member(forum: Forum, member: ForumMember) -> None:
    """Take a member out of a forum."""
    db.session.delete(member)
    forum.member_count = Forum.member_count - 1
    db.session.flush()


# Threads and posts --------------------------------------------------------------------


def _check_body(body: str) -> str:
    return checked_text(body, BODY_MAX, ForumError)


def _new_post(user: User, thread: Thread, forum: Forum, body: str, reply_to: Post | None = None) -> Post:
    contribution = Contribution(
        process_id=forum.process_id,
        space_kind=SpaceKind.THREAD.value,
        space_id=thread.id,
        author_id=user.id,
        municipality_id=forum.municipality_id,
        channel=Channel.ONLINE.value,
    )
    contribution.set_body(body)
    db.session.add(contribution)
    db.session.flush()
    # Numbering in SQL, under the thread row's update, so two writers cannot collide.
    thread.post_count = Thread.post_count + 1
    thread.last_post_at = utcnow()
    db.session.flush()
    db.session.refresh(thread, ["post_count"])
    post = Post(
        thread_id=thread.id,
        number=thread.post_count,
        contribution_id=contribution.id,
        reply_to_id=reply_to.id if reply_to else None,
    )
    db.session.add(post)
    # One's own post is never unread: the writer has read the thread up to it.
    mark_read(user, thread, post.number)
    db.session.flush()
    return post


def start_thread(user: User, forum: Forum, title: str, body: str) -> Thread:
    """Start a thread with its first post. Raises :class:`ForumError`."""
    error = post_error(user, forum, membership(user, forum))
    if error:
        raise ForumError(error)
    title = checked_text(
        title,
        TITLE_MAX,
        ForumError,
        empty=_l("Give the thread a title."),
        too_long=_l("The title is too long: at most %(max)d characters."),
    )
    body = _check_body(body)
    thread = Thread(forum_id=forum.id, title=title, author_id=user.id, post_count=0)
    db.session.add(thread)
    forum.thread_count = Forum.thread_count + 1
    db.session.flush()
    _new_post(user, thread, forum, body)
    return thread


def reply(user: User, thread: Thread, body: str, reply_to_id: int | None = None) -> Post:
    """Reply in a thread, optionally to one of its posts. Raises :class:`ForumError`."""
    forum = thread.forum
    error = post_error(user, forum, membership(user, forum))
    if error:
        raise ForumError(error)
    body = _check_body(body)
    reply_to = None
    if reply_to_id is not None:
        reply_to = db.session.get(Post, reply_to_id)
        if reply_to is None or reply_to.thread_id != thread.id:
            raise ForumError(_l("The post you are answering is not in this thread."))
    post = _new_post(user, thread, forum, body, reply_to)
    recipient = thread.author_id
    if reply_to is not None:
        recipient = db.session.scalar(select(Contribution.author_id).where(Contribution.id == reply_to.contribution_id))
    if recipient != user.id:
        notify(recipient, "forum.reply", link=post_path(post.id), name=user.public_name, thread=thread.title)
    return post


def post_path(post_id: int) -> str:
    """The path of a post's permanent address (stored in notifications, so no request is needed)."""
    return f"/forums/posts/{post_id}"


def can_edit(user, post: Post, forum: Forum) -> bool:
    """Authors edit and delete their own posts while the forum is open, unless their
    account is blocked."""
    return (
        bool(user and user.is_authenticated)
        and not user.is_blocked
        and post.contribution.author_id == user.id
        and not post.is_deleted
        and forum.is_open
    )


def edit_post(user: User, post: Post, forum: Forum, body: str) -> None:
    """Replace a post's text, keeping the earlier version. Raises :class:`ForumError`."""
    if not can_edit(user, post, forum):
        raise ForumError(_l("You cannot edit this post."))
    body = _check_body(body)
    contribution = post.contribution
    if body == contribution.body_source:
        return
    db.session.add(
        PostRevision(
            post_id=post.id,
            body_source=contribution.body_source,
            body_html=contribution.body_html,
            written_at=post.edited_at or post.created_at,
        )
    )
    contribution.set_body(body)
    post.edited_at = utcnow()
    db.session.flush()


def delete_post(user: User, post: Post, forum: Forum) -> None:
    """Soft-delete one's own post: a placeholder stays. Raises :class:`ForumError`."""
    if not can_edit(user, post, forum):
        raise ForumError(_l("You cannot delete this post."))
    post.deleted_at = utcnow()
    db.session.flush()


def _words(load: Load):
    """``load`` extended to a post's words (their HTML, not the markdown source the page
    does not print) and their account."""
    words = load.joinedload(Post.contribution)
    return words.options(defer(Contribution.body_source), account_load(joinedload(Contribution.author)))


def posts_page_query(thread: Thread, reader=None):
    """Posts of a thread in order, with what the page shows loaded up front in one query:
    words, accounts, the post each answers with its account, and, for ``reader`` (a
    signed-in person who does not moderate), whether they flagged each post's words
    (:attr:`Post.reported`)."""
    statement = (
        select(Post)
        .where(Post.thread_id == thread.id)
        .order_by(Post.number)
        .options(_words(Load(Post)), _words(Load(Post).joinedload(Post.reply_to)))
    )
    if _signed_in(reader):
        statement = statement.options(with_expression(Post.reported, flagged_by(reader.id, Post.contribution_id)))
    return statement


_FLAGGED_ON_PAGE = select(Post.contribution_id).where(
    Post.thread_id == bindparam("thread_id"),
    Post.number.between(bindparam("first"), bindparam("last")),
    flagged_by(bindparam("user_id"), Post.contribution_id),
)


def flagged_on_page(user, thread: Thread, first: int, last: int) -> set[int]:
    """The contributions of ``thread``'s posts ``first`` to ``last`` that ``user`` flagged
    and moderators have not dealt with yet (one query, through the posts' numbers)."""
    parameters = {"thread_id": thread.id, "first": first, "last": last, "user_id": user.id}
    return set(db.session.scalars(_FLAGGED_ON_PAGE, parameters))


def hidden_titles(thread_ids: list[int]) -> set[int]:
    """The threads among ``thread_ids`` whose first post is hidden or by a blocked
    account: their titles are not shown to people who do not moderate (one query)."""
    if not thread_ids:
        return set()
    rows = db.session.scalars(select(Thread.id).where(Thread.id.in_(thread_ids), title_withheld(Thread.id)))
    return set(rows)


# Reading position ---------------------------------------------------------------------


def mark_read(user, thread: Thread, number: int) -> None:
    """Remember that ``user`` has read ``thread`` up to post ``number`` (never backwards),
    in one statement that two requests of the same reader can run at once (an insert
    that, when the row exists, moves it forward only)."""
    if not _signed_in(user):
        return
    statement = database.upsert(db.session.get_bind(), ThreadRead).values(
        user_id=user.id, thread_id=thread.id, last_number=number
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[ThreadRead.user_id, ThreadRead.thread_id],
            set_={"last_number": statement.excluded.last_number},
            where=ThreadRead.last_number < statement.excluded.last_number,
        )
    )


# Search -------------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(query: str) -> list[str]:
    """The words of a search query (at most ten, each at most 50 characters)."""
    return [w[:50] for w in _WORD.findall(query or "")][:10]


def _matching_contributions(terms: list[str]):
    """A select of contribution ids whose text matches every term, by the engine's
    full-text index (SQLite FTS5, PostgreSQL tsvector)."""
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        # Terms are runs of word characters, so ``term:*`` (a prefix match, as FTS5 does)
        # cannot inject tsquery syntax.
        query = " & ".join(f"{term}:*" for term in terms)
        vector = func.to_tsvector(db.literal_column("'spanish'"), Contribution.body_source)
        return select(Contribution.id).where(vector.op("@@")(func.to_tsquery(db.literal_column("'spanish'"), query)))
    match = " AND ".join('"' + term.replace('"', "") + '"*' for term in terms)
    return (
        select(db.literal_column("rowid"))
        .select_from(db.text("contributions_fts"))
        .where(db.text("contributions_fts MATCH :match").bindparams(match=match))
    )


def search_posts(user, query: str, forum_id: int | None = None):
    """A select of visible, undeleted posts matching ``query`` (``None`` if no words),
    newest first, with what a results page shows loaded up front."""
    terms = search_terms(query)
    if not terms:
        return None
    title_match = and_(*[Thread.title.ilike(f"%{term}%") for term in terms])
    statement = (
        select(Post)
        .join(Thread, Post.thread_id == Thread.id)
        .join(Forum, Thread.forum_id == Forum.id)
        .join(Contribution, Post.contribution_id == Contribution.id)
        .outerjoin(User, Contribution.author_id == User.id)
        .where(visible_filter(user), Post.deleted_at.is_(None), Contribution.hidden_at.is_(None))
        .where(User.blocked_at.is_(None))
        .where(or_(Post.contribution_id.in_(_matching_contributions(terms)), and_(Post.number == 1, title_match)))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .options(
            joinedload(Post.contribution).joinedload(Contribution.author),
            joinedload(Post.thread),
        )
    )
    if forum_id is not None:
        statement = statement.where(Thread.forum_id == forum_id)
    return statement
