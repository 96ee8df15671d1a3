"""The consultations floor's part of a person's data download and of deleting an account.

Download: the rounds one was invited to, for each comment its position and proposed
wording (the words themselves are in the contributions section, with every other
contribution), the published verdict of each of one's contributions with its reason, and
for facilitators how many codings and verdict decisions they made. Deletion withdraws
round invitations; comments stay, attributed to "deleted participant", like every
contribution (codings and decisions keep their rows, naming the deleted account).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from consultations.coding.models import Coding
from consultations.rounds.models import Comment, CommentRound, RoundMember, Stance
from consultations.verdicts import services as verdicts
from consultations.verdicts.models import Decision, Verdict
from core.extensions import db
from core.models import Contribution
from core.privacy import register_eraser, register_export, register_labels, register_value_labels
from core.text import plain_text
from core.verdicts import VerdictStatus

register_labels(
    {
        "consultations": _l("Consultations"),
        "round_invitations": _l("Comment rounds you were invited to"),
        "round_comments": _l("Your comments in comment rounds"),
        "round": _l("Round"),
        "contribution": _l("Contribution"),
        "stance": _l("Position"),
        "wording": _l("Proposed wording"),
        "entered_for_you": _l("Entered by a facilitator on your behalf"),
        "verdicts": _l("What became of your contributions"),
        "verdict": _l("What became of it"),
        "codings_made": _l("Codings you made"),
        "decisions_written": _l("Verdict decisions you wrote"),
    }
)
register_value_labels("verdicts.verdict", {s.value: s.label for s in VerdictStatus})
register_value_labels("round_comments.stance", {s.value: s.label for s in Stance})


def consultation_data(user) -> dict:
    """Everything the consultations hold about ``user`` beyond their contributions."""
    invitations = db.session.execute(
        select(CommentRound.title, RoundMember.invited_at)
        .join(CommentRound, CommentRound.id == RoundMember.round_id)
        .where(RoundMember.user_id == user.id)
        .order_by(RoundMember.id)
    )
    comments = db.session.execute(
        select(
            Comment.contribution_id, CommentRound.title, Comment.stance, Comment.wording_source, Comment.entered_by_id
        )
        .join(CommentRound, CommentRound.id == Comment.round_id)
        .join(Contribution, Contribution.id == Comment.contribution_id)
        .where(Contribution.author_id == user.id)
        .order_by(Comment.id)
    )
    published = db.session.execute(
        select(Verdict.contribution_id, Verdict.status, Verdict.reason_html)
        .where(Verdict.contribution_id.in_(verdicts.mine(user).with_only_columns(Contribution.id).order_by(None)))
        .order_by(Verdict.contribution_id)
    )
    return {
        "verdicts": [
            {"contribution": contribution_id, "verdict": status, "reason": plain_text(reason) or None}
            for contribution_id, status, reason in published
        ],
        "codings_made": db.session.scalar(select(func.count(Coding.id)).where(Coding.coder_id == user.id)),
        "decisions_written": db.session.scalar(
            select(func.count(Decision.id)).where(Decision.decided_by_id == user.id)
        ),
        "round_invitations": [{"round": title, "invited_at": at} for title, at in invitations],
        "round_comments": [
            {
                "contribution": contribution_id,
                "round": title,
                "stance": stance,
                "wording": wording or None,
                "entered_for_you": entered_by is not None,
            }
            for contribution_id, title, stance, wording, entered_by in comments
        ],
    }


def erase(user) -> None:
    """Withdraw the person's round invitations."""
    db.session.execute(delete(RoundMember).where(RoundMember.user_id == user.id))


register_export("consultations", consultation_data)
register_eraser("consultations", erase)
