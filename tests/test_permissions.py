"""The permission matrix: every route × every role, with the expected status.

Requests carry form data with none of the fields filled, so an allowed POST answers with its
validation error (422) or its redirect, and a refused one with 403 (or a redirect to
the login page for anonymous visitors). ``test_matrix_covers_every_route`` fails when a
route is added without a row here.
"""

import itertools
import re
from datetime import date

import pytest

from core.extensions import db
from core.roles import Role
from tests.conftest import login

ROLES = ("anonymous", "citizen", "staff", "staff_other", "facilitator", "expert", "admin")
SIGNED_IN = ROLES[1:]


def everyone(status):
    return dict.fromkeys(ROLES, status)


def signed_in(status, anonymous=302):
    """Login required; every signed-in role gets ``status``."""
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status)}


def only(status, *roles):
    """Login required; ``roles`` get ``status``, other signed-in roles 403."""
    expected = {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 403)}
    expected.update(dict.fromkeys(roles, status))
    return expected


def guests(status, signed_in_status=302):
    """Pages for visitors without an account; signed-in people are redirected."""
    return {"anonymous": status, **dict.fromkeys(SIGNED_IN, signed_in_status)}


def staff_forum(status):
    """Talagante's staff forum: its officials, facilitators and administrators; 404 for
    everyone else, officials of another municipality included."""
    expected = dict.fromkeys(ROLES, 404)
    expected.update(dict.fromkeys(("staff", "facilitator", "admin"), status))
    return expected


def writers(status):
    """Members (the citizen) and facilitators write; other signed-in people get 303."""
    return {
        "anonymous": 302,
        **dict.fromkeys(SIGNED_IN, 303),
        **dict.fromkeys(("citizen", "facilitator", "admin"), status),
    }


def participants(status):
    """Invited participants (the citizen) and facilitators take part on the workshop's
    board; other signed-in people are sent back to it with the reason (303)."""
    return writers(status)


def managers_or_404(status):
    """A draft version: facilitators and administrators; 404 for everyone else."""
    expected = dict.fromkeys(ROLES, 404)
    expected.update(dict.fromkeys(("facilitator", "admin"), status))
    return expected


def committee(status):
    """The advisory committee's round: its invited member (the citizen) and facilitators
    comment; other signed-in people are sent back with the reason (303)."""
    return {
        "anonymous": 302,
        **dict.fromkeys(SIGNED_IN, 303),
        **dict.fromkeys(("citizen", "facilitator", "admin"), status),
    }


MATRIX = [
    ("GET", "/", everyone(200)),
    ("GET", "/privacy", everyone(200)),
    ("GET", "/consultations/", everyone(200)),
    ("POST", "/language", everyone(302)),
    ("GET", "/register", guests(200)),
    ("POST", "/register", guests(422)),
    ("GET", "/login", guests(200)),
    ("POST", "/login", guests(422)),
    # Mails: a forgotten password, confirming the address, changing it ({token} is not one).
    ("GET", "/password/forgot", guests(200)),
    ("POST", "/password/forgot", guests(422)),
    ("GET", "/password/reset/{token}", guests(404)),
    ("POST", "/password/reset/{token}", guests(404)),
    ("GET", "/account/confirm/{token}", everyone(404)),
    ("POST", "/account/confirm/{token}", everyone(404)),
    ("POST", "/account/confirm/resend", signed_in(302)),
    ("GET", "/account/email", signed_in(200)),
    ("POST", "/account/email", signed_in(422)),
    ("GET", "/account/email/confirm/{token}", everyone(404)),
    ("POST", "/account/email/confirm/{token}", everyone(404)),
    # One-click unsubscribe from notification mails ({token} is not one).
    ("GET", "/mail/unsubscribe/{token}", everyone(404)),
    ("POST", "/mail/unsubscribe/{token}", everyone(404)),
    ("POST", "/logout", signed_in(302)),
    ("GET", "/account", signed_in(200)),
    ("POST", "/account", signed_in(422)),
    ("GET", "/account/password", signed_in(200)),
    ("POST", "/account/password", signed_in(422)),
    ("GET", "/account/verification", signed_in(200)),
    ("POST", "/account/verification", signed_in(422)),
    ("GET", "/account/privacy", signed_in(200)),
    ("GET", "/account/data.json", signed_in(200)),
    ("GET", "/account/data", signed_in(200)),
    # Everyone here has consented to the current notice: the consent page sends them on.
    ("GET", "/account/consent", signed_in(302)),
    ("POST", "/account/consent", signed_in(302)),
    ("POST", "/account/delete", signed_in(422)),
    ("GET", "/admin/", only(200, "admin")),
    ("GET", "/admin/municipalities", only(200, "admin")),
    ("GET", "/admin/municipalities/new", only(200, "admin")),
    ("POST", "/admin/municipalities/new", only(422, "admin")),
    ("GET", "/admin/municipalities/{municipality}", only(200, "admin")),
    # An edit form posted without its fields keeps the stored values: a redirect.
    ("POST", "/admin/municipalities/{municipality}", only(302, "admin")),
    ("GET", "/admin/organisations", only(200, "admin")),
    ("GET", "/admin/organisations/new", only(200, "admin")),
    ("POST", "/admin/organisations/new", only(422, "admin")),
    ("GET", "/admin/organisations/{organisation}", only(200, "admin")),
    ("POST", "/admin/organisations/{organisation}", only(302, "admin")),
    ("GET", "/admin/processes", only(200, "admin")),
    ("GET", "/admin/processes/new", only(200, "admin")),
    ("POST", "/admin/processes/new", only(422, "admin")),
    ("GET", "/admin/processes/{process}", only(200, "admin")),
    ("POST", "/admin/processes/{process}", only(422, "admin")),
    ("POST", "/admin/processes/{process}/phases", only(422, "admin")),
    ("POST", "/admin/processes/{process}/phases/{phase}/delete", only(302, "admin")),
    ("GET", "/admin/users", only(200, "admin")),
    ("GET", "/admin/users/{user}", only(200, "admin")),
    ("POST", "/admin/users/{user}/roles", only(422, "admin")),
    ("GET", "/admin/roles/{assignment}/revoke", only(200, "admin")),
    ("POST", "/admin/roles/{assignment}/revoke", only(302, "admin")),
    ("GET", "/admin/staff-requests", only(200, "admin", "facilitator")),
    ("POST", "/admin/staff-requests/{request}/approve", only(302, "admin", "facilitator")),
    ("POST", "/admin/staff-requests/{request}/reject", only(302, "admin", "facilitator")),
    ("GET", "/admin/audit", only(200, "admin")),
    # Forums. {forum} is an open citizen forum of Talagante whose member is the citizen,
    # who wrote {post} in {thread}; {staff_forum} is Talagante's staff forum.
    ("GET", "/forums/", everyone(200)),
    ("GET", "/forums/search", everyone(200)),
    ("GET", "/forums/new", only(200, "facilitator", "admin")),
    ("POST", "/forums/new", only(422, "facilitator", "admin")),
    ("GET", "/forums/{forum}", everyone(200)),
    ("GET", "/forums/{staff_forum}", staff_forum(200)),
    ("GET", "/forums/{forum}/edit", only(200, "facilitator", "admin")),
    ("POST", "/forums/{forum}/edit", only(302, "facilitator", "admin")),
    ("POST", "/forums/{forum}/status", only(400, "facilitator", "admin")),
    ("POST", "/forums/{forum}/join", signed_in(302)),
    ("POST", "/forums/{staff_forum}/join", {**staff_forum(302), "anonymous": 302}),
    ("GET", "/forums/{forum}/leave", {**signed_in(302), "citizen": 200}),
    ("POST", "/forums/{forum}/leave", signed_in(302)),
    # Member lists: members (the citizen; the official in the staff forum) and managers.
    ("GET", "/forums/{forum}/members", only(200, "citizen", "facilitator", "admin")),
    ("GET", "/forums/{staff_forum}/members", {**staff_forum(200), "anonymous": 302}),
    ("POST", "/forums/{forum}/members", only(422, "facilitator", "admin")),
    ("POST", "/forums/{forum}/members/{member}/remove", only(302, "facilitator", "admin")),
    # Members and facilitators write; other signed-in people are sent back (303).
    ("GET", "/forums/{forum}/threads/new", writers(200)),
    ("POST", "/forums/{forum}/threads/new", writers(422)),
    ("GET", "/forums/threads/{thread}", everyone(200)),
    ("GET", "/forums/threads/{staff_thread}", staff_forum(200)),
    ("GET", "/forums/threads/{thread}/unread", everyone(302)),
    ("GET", "/forums/threads/{thread}/reply", writers(200)),
    ("POST", "/forums/threads/{thread}/reply", writers(422)),
    ("GET", "/forums/posts/{post}", everyone(302)),
    ("GET", "/forums/posts/{staff_post}", staff_forum(302)),
    ("GET", "/forums/posts/{post}/edit", only(200, "citizen")),
    # An edit posted without its fields keeps the text: a redirect.
    ("POST", "/forums/posts/{post}/edit", only(302, "citizen")),
    ("GET", "/forums/posts/{post}/delete", only(200, "citizen")),
    ("POST", "/forums/posts/{post}/delete", only(302, "citizen")),
    ("GET", "/forums/posts/{post}/history", only(200, "facilitator", "admin")),
    # Sessions: {meeting} is a scheduled session of {forum}; {staff_meeting} of the staff forum.
    ("GET", "/forums/{forum}/sessions/new", only(200, "facilitator", "admin")),
    ("POST", "/forums/{forum}/sessions/new", only(422, "facilitator", "admin")),
    ("GET", "/forums/sessions/{meeting}", everyone(200)),
    ("GET", "/forums/sessions/{staff_meeting}", staff_forum(200)),
    ("GET", "/forums/sessions/{meeting}/edit", only(200, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/edit", only(422, "facilitator", "admin")),
    ("GET", "/forums/sessions/{meeting}/cancel", only(200, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/cancel", only(302, "facilitator", "admin")),
    ("GET", "/forums/sessions/{meeting}/held", only(200, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/held", only(302, "facilitator", "admin")),
    ("GET", "/forums/sessions/{meeting}/reopen", only(200, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/reopen", only(302, "facilitator", "admin")),
    ("GET", "/forums/sessions/{meeting}/remarks/{remark}/edit", only(200, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/remarks/{remark}/edit", only(422, "facilitator", "admin")),
    ("GET", "/forums/sessions/{meeting}/remarks/{remark}/remove", only(200, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/remarks/{remark}/remove", only(302, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/register", signed_in(302)),
    ("POST", "/forums/sessions/{staff_meeting}/register", {**staff_forum(302), "anonymous": 302}),
    ("GET", "/forums/sessions/{meeting}/unregister", signed_in(302)),
    ("POST", "/forums/sessions/{meeting}/unregister", signed_in(302)),
    ("GET", "/forums/sessions/{meeting}/sheet", only(200, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/checkin/{user}", only(302, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/walk-ins", only(422, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/headcount", only(302, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/remarks", only(422, "facilitator", "admin")),
    ("GET", "/forums/sessions/{meeting}/minutes", only(200, "facilitator", "admin")),
    ("POST", "/forums/sessions/{meeting}/minutes", only(422, "facilitator", "admin")),
    # Moderation: {contribution} is the citizen's post, {staff_contribution} the official's.
    ("GET", "/forums/contributions/{contribution}/flag", signed_in(200)),
    ("POST", "/forums/contributions/{contribution}/flag", signed_in(422)),
    ("GET", "/forums/contributions/{staff_contribution}/flag", {**staff_forum(200), "anonymous": 302}),
    ("POST", "/forums/contributions/{staff_contribution}/flag", {**staff_forum(422), "anonymous": 302}),
    ("GET", "/forums/moderation", only(200, "facilitator", "admin")),
    ("POST", "/forums/moderation/contributions/{contribution}/hide", only(302, "facilitator", "admin")),
    ("POST", "/forums/moderation/contributions/{contribution}/restore", only(302, "facilitator", "admin")),
    ("POST", "/forums/moderation/contributions/{contribution}/dismiss", only(302, "facilitator", "admin")),
    # Remarks said at sessions ({remark} in the citizen forum's, {staff_remark} in the staff
    # forum's) and workshop cards ({card_contribution}) are moderated like posts.
    ("GET", "/forums/contributions/{remark}/flag", signed_in(200)),
    ("POST", "/forums/contributions/{remark}/flag", signed_in(422)),
    ("GET", "/forums/contributions/{staff_remark}/flag", {**staff_forum(200), "anonymous": 302}),
    ("POST", "/forums/contributions/{staff_remark}/flag", {**staff_forum(422), "anonymous": 302}),
    ("GET", "/forums/contributions/{card_contribution}/flag", signed_in(200)),
    ("POST", "/forums/contributions/{card_contribution}/flag", signed_in(422)),
    ("POST", "/forums/moderation/contributions/{remark}/hide", only(302, "facilitator", "admin")),
    ("POST", "/forums/moderation/contributions/{staff_remark}/restore", only(302, "facilitator", "admin")),
    ("POST", "/forums/moderation/contributions/{card_contribution}/hide", only(302, "facilitator", "admin")),
    ("POST", "/forums/moderation/contributions/{card_contribution}/restore", only(302, "facilitator", "admin")),
    ("POST", "/forums/moderation/contributions/{card_contribution}/dismiss", only(302, "facilitator", "admin")),
    ("POST", "/forums/moderation/users/{user}/block", only(302, "facilitator", "admin")),
    ("POST", "/forums/moderation/users/{user}/unblock", only(302, "facilitator", "admin")),
    # Workshops: {workshop} is a co-design workshop whose invited participant is the
    # citizen; its {board} has the citizen's {card} (with one of the citizen's dots in an
    # open round), a {cluster} and an empty {column}. {expert_workshop} has {presentation}.
    ("GET", "/forums/workshops", everyone(200)),
    ("GET", "/forums/workshops/new", only(200, "facilitator", "admin")),
    ("POST", "/forums/workshops/new", only(422, "facilitator", "admin")),
    ("GET", "/forums/workshops/{workshop}", everyone(200)),
    ("GET", "/forums/workshops/{workshop}/edit", only(200, "facilitator", "admin")),
    ("POST", "/forums/workshops/{workshop}/edit", only(422, "facilitator", "admin")),
    ("GET", "/forums/workshops/{workshop}/participants", only(200, "facilitator", "admin")),
    ("POST", "/forums/workshops/{workshop}/participants", only(422, "facilitator", "admin")),
    ("POST", "/forums/workshops/{workshop}/participants/{invitation}/remove", only(302, "facilitator", "admin")),
    ("GET", "/forums/workshops/{workshop}/sheet", only(200, "facilitator", "admin")),
    ("POST", "/forums/workshops/{workshop}/checkin/{user}", only(302, "facilitator", "admin")),
    ("POST", "/forums/workshops/{workshop}/walk-ins", only(422, "facilitator", "admin")),
    ("POST", "/forums/workshops/{workshop}/headcount", only(302, "facilitator", "admin")),
    ("GET", "/forums/workshops/{expert_workshop}/presentations/new", only(200, "facilitator", "admin")),
    ("POST", "/forums/workshops/{expert_workshop}/presentations/new", only(422, "facilitator", "admin")),
    ("GET", "/forums/presentations/{presentation}/edit", only(200, "facilitator", "admin")),
    ("POST", "/forums/presentations/{presentation}/edit", only(302, "facilitator", "admin")),
    ("POST", "/forums/presentations/{presentation}/delete", only(302, "facilitator", "admin")),
    ("POST", "/forums/workshops/{workshop}/boards", only(422, "facilitator", "admin")),
    ("GET", "/forums/boards/{board}", everyone(200)),
    ("GET", "/forums/boards/{board}/present", everyone(200)),
    ("GET", "/forums/boards/{board}/changes", everyone(200)),
    ("GET", "/forums/boards/{board}/export.csv", only(200, "facilitator", "admin")),
    # Names need a reason: an empty one is refused back to the board.
    ("POST", "/forums/boards/{board}/export.csv", only(303, "facilitator", "admin")),
    ("GET", "/forums/boards/{board}/export.md", only(200, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/columns/{column}/cards", participants(422)),
    ("GET", "/forums/cards/{card}/edit", only(200, "citizen")),
    ("POST", "/forums/cards/{card}/edit", only(302, "citizen")),
    ("GET", "/forums/cards/{card}/delete", only(200, "citizen", "facilitator", "admin")),
    ("POST", "/forums/cards/{card}/delete", only(302, "citizen", "facilitator", "admin")),
    # Moving needs a target: facilitators are sent back with the reason.
    ("POST", "/forums/cards/{card}/move", only(303, "facilitator", "admin")),
    # Only invited participants vote: facilitators run the vote.
    ("POST", "/forums/cards/{card}/vote", {**signed_in(303), "citizen": 302}),
    ("POST", "/forums/cards/{card}/unvote", {**signed_in(303), "citizen": 302}),
    # Adding, renaming and clustering need a name: facilitators are sent back with the reason.
    ("POST", "/forums/boards/{board}/columns", only(303, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/columns/{column}/rename", only(303, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/columns/{column}/left", only(302, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/columns/{column}/right", only(302, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/columns/{column}/delete", only(302, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/columns/{column}/clusters", only(303, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/clusters/{cluster}/rename", only(303, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/clusters/{cluster}/dissolve", only(302, "facilitator", "admin")),
    # A round is already open (and the dots are missing): refused with the reason.
    ("POST", "/forums/boards/{board}/round", only(303, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/round/close", only(302, "facilitator", "admin")),
    ("GET", "/forums/boards/{board}/lock", only(200, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/lock", only(302, "facilitator", "admin")),
    ("POST", "/forums/boards/{board}/unlock", only(302, "facilitator", "admin")),
    # Consultations: {model} has the published {version} (its section {key}) and the
    # {draft} drafted from it; {round} is an open public round on {version} with the
    # citizen's {comment}; {committee_round} is open to its one member, the citizen
    # ({round_member}), who wrote {committee_comment} there.
    ("GET", "/consultations/models/new", only(200, "facilitator", "admin")),
    ("POST", "/consultations/models/new", only(422, "facilitator", "admin")),
    ("GET", "/consultations/models/{model}", everyone(200)),
    ("GET", "/consultations/models/{model}/edit", only(200, "facilitator", "admin")),
    ("POST", "/consultations/models/{model}/edit", only(302, "facilitator", "admin")),
    ("GET", "/consultations/models/{model}/versions/new", only(200, "facilitator", "admin")),
    ("POST", "/consultations/models/{model}/versions/new", only(422, "facilitator", "admin")),
    # The diff picker without two versions chosen sends back with the reason.
    ("GET", "/consultations/models/{model}/diff", everyone(303)),
    ("GET", "/consultations/versions/{version}", everyone(200)),
    ("GET", "/consultations/versions/{draft}", managers_or_404(200)),
    ("GET", "/consultations/versions/{version}/sections", everyone(200)),
    ("GET", "/consultations/versions/{draft}/sections", managers_or_404(200)),
    ("GET", "/consultations/versions/{version}/sections/{key}", everyone(200)),
    ("GET", "/consultations/versions/{draft}/sections/{key}", managers_or_404(200)),
    ("GET", "/consultations/versions/{version}/export.json", everyone(200)),
    ("GET", "/consultations/versions/{draft}/export.json", managers_or_404(200)),
    ("GET", "/consultations/versions/{version}/diff/{draft}", managers_or_404(200)),
    ("GET", "/consultations/versions/{version}/draft", only(200, "facilitator", "admin")),
    ("POST", "/consultations/versions/{version}/draft", only(422, "facilitator", "admin")),
    ("GET", "/consultations/versions/{draft}/edit", only(200, "facilitator", "admin")),
    ("POST", "/consultations/versions/{draft}/edit", only(302, "facilitator", "admin")),
    ("GET", "/consultations/versions/{draft}/publish", only(200, "facilitator", "admin")),
    ("POST", "/consultations/versions/{draft}/publish", only(302, "facilitator", "admin")),
    ("GET", "/consultations/versions/{draft}/new-section", only(200, "facilitator", "admin")),
    ("POST", "/consultations/versions/{draft}/new-section", only(422, "facilitator", "admin")),
    ("GET", "/consultations/versions/{draft}/sections/{key}/edit", only(200, "facilitator", "admin")),
    ("POST", "/consultations/versions/{draft}/sections/{key}/edit", only(302, "facilitator", "admin")),
    # T.3 holds an indicator, and moving needs a direction: sent back with the reason.
    ("POST", "/consultations/versions/{draft}/sections/{key}/delete", only(303, "facilitator", "admin")),
    ("POST", "/consultations/versions/{draft}/sections/{key}/move", only(303, "facilitator", "admin")),
    ("GET", "/consultations/versions/{version}/rounds/new", only(200, "facilitator", "admin")),
    ("POST", "/consultations/versions/{version}/rounds/new", only(422, "facilitator", "admin")),
    ("GET", "/consultations/rounds/{round}", everyone(200)),
    ("GET", "/consultations/rounds/{committee_round}", everyone(200)),
    ("GET", "/consultations/rounds/{round}/edit", only(200, "facilitator", "admin")),
    ("POST", "/consultations/rounds/{round}/edit", only(422, "facilitator", "admin")),
    ("POST", "/consultations/rounds/{round}/close", only(302, "facilitator", "admin")),
    # Extending needs a new closing time: sent back with the reason.
    ("POST", "/consultations/rounds/{round}/extend", only(303, "facilitator", "admin")),
    ("GET", "/consultations/rounds/{committee_round}/members", only(200, "facilitator", "admin")),
    ("POST", "/consultations/rounds/{committee_round}/members", only(422, "facilitator", "admin")),
    (
        "POST",
        "/consultations/rounds/{committee_round}/members/{round_member}/remove",
        only(302, "facilitator", "admin"),
    ),
    ("GET", "/consultations/rounds/{round}/comments/on-behalf", only(200, "facilitator", "admin")),
    ("POST", "/consultations/rounds/{round}/comments/on-behalf", only(422, "facilitator", "admin")),
    ("GET", "/consultations/rounds/{round}/comments", only(200, "facilitator", "admin")),
    ("GET", "/consultations/rounds/{round}/comments.csv", only(200, "facilitator", "admin")),
    ("GET", "/consultations/rounds/{round}/comments.xlsx", only(200, "facilitator", "admin")),
    # Names need a reason: an empty one is refused back to the list.
    ("POST", "/consultations/rounds/{round}/comments.csv", only(303, "facilitator", "admin")),
    ("POST", "/consultations/rounds/{round}/comments.xlsx", only(303, "facilitator", "admin")),
    # Everyone signed in is in a public round's audience: an empty comment is a 422.
    ("POST", "/consultations/rounds/{round}/comments", signed_in(422)),
    ("POST", "/consultations/rounds/{committee_round}/comments", committee(422)),
    ("POST", "/consultations/comments/{comment}/reply", signed_in(422)),
    # A comment's lasting link leads to its page; the committee's only for its readers.
    ("GET", "/consultations/comments/{comment}", everyone(302)),
    (
        "GET",
        "/consultations/comments/{committee_comment}",
        {**dict.fromkeys(ROLES, 404), "citizen": 302, "facilitator": 302, "admin": 302},
    ),
    # People who may not read the committee's round do not learn its comments exist.
    (
        "POST",
        "/consultations/comments/{committee_comment}/reply",
        {**dict.fromkeys(ROLES, 404), "anonymous": 302, "citizen": 422, "facilitator": 422, "admin": 422},
    ),
    # The codebook of {process}: {theme}; coding {contribution} (the citizen's post);
    # {cluster} is a workshop board's cluster.
    ("GET", "/consultations/processes/{process}/themes", everyone(200)),
    ("POST", "/consultations/processes/{process}/themes", only(422, "facilitator", "admin")),
    ("GET", "/consultations/themes/{theme}", everyone(200)),
    ("GET", "/consultations/themes/{theme}/edit", only(200, "facilitator", "admin")),
    ("POST", "/consultations/themes/{theme}/edit", only(302, "facilitator", "admin")),
    ("POST", "/consultations/themes/{theme}/archive", only(302, "facilitator", "admin")),
    ("POST", "/consultations/themes/{theme}/restore", only(302, "facilitator", "admin")),
    # Merging needs a target, and a new theme from a cluster a code: sent back with the reason.
    ("POST", "/consultations/themes/{theme}/merge", only(303, "facilitator", "admin")),
    ("POST", "/consultations/clusters/{cluster}/theme", only(303, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/coding", only(200, "facilitator", "admin")),
    ("POST", "/consultations/coding/{contribution}", only(302, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/coding/bulk", only(303, "facilitator", "admin")),
    # The revision record of {draft} (drafted from {version}) with its {change};
    # verdicts of {process}, whose {decision} is on {theme}; "Mis aportes".
    ("GET", "/consultations/versions/{version}/revisions", everyone(200)),
    ("GET", "/consultations/versions/{draft}/revisions", managers_or_404(200)),
    ("GET", "/consultations/versions/{draft}/revisions/new", only(200, "facilitator", "admin")),
    ("POST", "/consultations/versions/{draft}/revisions/new", only(422, "facilitator", "admin")),
    ("GET", "/consultations/changes/{change}/edit", only(200, "facilitator", "admin")),
    ("POST", "/consultations/changes/{change}/edit", only(422, "facilitator", "admin")),
    ("POST", "/consultations/changes/{change}/delete", only(302, "facilitator", "admin")),
    ("GET", "/consultations/mine", signed_in(200)),
    ("GET", "/consultations/processes/{process}/verdicts", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/verdicts", only(422, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/verdicts/publish", only(302, "facilitator", "admin")),
    ("POST", "/consultations/decisions/{decision}/delete", only(302, "facilitator", "admin")),
    # Double coding: {sample}, coded by the facilitator and the administrator, holds
    # {contribution}.
    ("GET", "/consultations/processes/{process}/samples", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/samples", only(422, "facilitator", "admin")),
    ("GET", "/consultations/samples/{sample}", only(200, "facilitator", "admin")),
    ("POST", "/consultations/samples/{sample}/items/{contribution}", only(302, "facilitator", "admin")),
    ("GET", "/consultations/samples/{sample}/report", only(200, "facilitator", "admin")),
    ("POST", "/consultations/samples/{sample}/items/{contribution}/reconcile", only(302, "facilitator", "admin")),
    # Participation: public figures for everyone (internal ones only for facilitators).
    ("GET", "/consultations/processes/{process}/summary", everyone(200)),
    # Walk-ins of {process}: {walk_in} on the session's sheet, and {walk_in_link} merging
    # another walk-in into it. Linking needs an e-mail, merging a number: 422 without.
    ("GET", "/consultations/processes/{process}/walk-ins", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/walk-ins/{walk_in}/link", only(422, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/walk-ins/{walk_in}/merge", only(422, "facilitator", "admin")),
    ("POST", "/consultations/walk-in-links/{walk_in_link}/undo", only(302, "facilitator", "admin")),
    # Downloads of {process}'s participation; names need a reason (refused without: 303).
    ("GET", "/consultations/processes/{process}/export/contributions.csv", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/export/contributions.csv", only(303, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/contributions.xlsx", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/export/contributions.xlsx", only(303, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/contributions.ods", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/export/contributions.ods", only(303, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/contributions.json", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/export/contributions.json", only(303, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/participants.csv", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/export/participants.csv", only(303, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/participants.xlsx", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/export/participants.xlsx", only(303, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/participants.ods", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/export/participants.ods", only(303, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/participants.json", only(200, "facilitator", "admin")),
    ("POST", "/consultations/processes/{process}/export/participants.json", only(303, "facilitator", "admin")),
    # Tables of counts (suppressed; exact with ?internal=1, same rule) and the open data.
    ("GET", "/consultations/processes/{process}/export/summary.csv", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/summary.xlsx", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/summary.ods", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/summary.json", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/codebook.csv", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/codebook.xlsx", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/codebook.ods", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/codebook.json", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/rounds.csv", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/rounds.xlsx", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/rounds.ods", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/rounds.json", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/changes.csv", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/changes.xlsx", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/changes.ods", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/changes.json", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/export/summary.csv?internal=1", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/open-data.zip", everyone(200)),
    # The methodology report of {process}: public figures for everyone; the exact, internal
    # ones only for facilitators and administrators (refused to others, not silently public).
    ("GET", "/consultations/processes/{process}/report", everyone(200)),
    ("GET", "/consultations/processes/{process}/report?internal=1", only(200, "facilitator", "admin")),
    ("GET", "/consultations/processes/{process}/report.pdf", everyone(200)),
    ("GET", "/consultations/processes/{process}/report.pdf?internal=1", only(200, "facilitator", "admin")),
    # The chart of the summary's breakdown (public figures; internal ones for managers, as on the page).
    ("GET", "/consultations/processes/{process}/summary/group.svg", everyone(200)),
    ("GET", "/consultations/processes/{process}/summary/municipality.svg", everyone(200)),
    ("GET", "/consultations/processes/{process}/summary/profile.svg", everyone(200)),
    ("GET", "/consultations/processes/{process}/summary/channel.svg", everyone(200)),
    ("GET", "/consultations/processes/{process}/summary/month.svg", everyone(200)),
    # Notifications: {notification} is the citizen's.
    ("GET", "/notifications", signed_in(200)),
    ("POST", "/notifications/{notification}/read", {**signed_in(404), "citizen": 302}),
    ("POST", "/notifications/read", signed_in(302)),
]


WORKSHOP_IDS = (
    "{workshop}",
    "{expert_workshop}",
    "{presentation}",
    "{invitation}",
    "{board}",
    "{card}",
    "{card_contribution}",
    "{cluster}",
)


@pytest.fixture
def world(request, app, factory, places, personas):
    """Personas plus one of everything a route can name by id (the workshops only for the
    routes that name one: they are the costliest to build)."""
    from accounts.models import RoleAssignment

    process_id = factory.process()
    request_id = factory.staff_request(personas["citizen"].id, places["home"])
    with app.app_context():
        from accounts.models import Process

        phase_id = db.session.get(Process, process_id).phases[0].id
        assignment_id = db.session.scalar(
            db.select(RoleAssignment.id).where(RoleAssignment.user_id == personas["expert"].id)
        )
    forum_id = factory.forum("citizen", places["home"], process_id)
    staff_forum_id = factory.forum("staff", places["home"], process_id)
    member_id = factory.member(forum_id, personas["citizen"].id)
    factory.member(staff_forum_id, personas["staff"].id)
    thread_id = factory.thread(forum_id, personas["citizen"].id)
    staff_thread_id = factory.thread(staff_forum_id, personas["staff"].id)
    with app.app_context():
        from forums.discussions.models import Post

        post_id, contribution_id = db.session.execute(
            db.select(Post.id, Post.contribution_id).where(Post.thread_id == thread_id)
        ).one()
        staff_post_id, staff_contribution_id = db.session.execute(
            db.select(Post.id, Post.contribution_id).where(Post.thread_id == staff_thread_id)
        ).one()
        from core.notifications import Notification

        notification = Notification(user_id=personas["citizen"].id, kind="forum.reply", link="/forums/")
        db.session.add(notification)
        db.session.commit()
        notification_id = notification.id
    meeting_id = factory.meeting(forum_id)
    staff_meeting_id = factory.meeting(staff_forum_id)
    remark_id = factory.remark(meeting_id)
    staff_remark_id = factory.remark(staff_meeting_id)
    url = getattr(request.node, "callspec", None) and request.node.callspec.params.get("url", "")
    needs_workshops = url and any(name in url for name in WORKSHOP_IDS)
    needs_consultations = url and url.startswith("/consultations/") and "{" in url
    ids = {
        **(_workshop_world(app, factory, process_id, personas) if needs_workshops else {}),
        **(_consultation_world(app, factory, process_id, personas, contribution_id) if needs_consultations else {}),
        "contribution": contribution_id,
        "staff_contribution": staff_contribution_id,
        "notification": notification_id,
        "meeting": meeting_id,
        "staff_meeting": staff_meeting_id,
        "remark": remark_id,
        "staff_remark": staff_remark_id,
        "forum": forum_id,
        "staff_forum": staff_forum_id,
        "member": member_id,
        "thread": thread_id,
        "staff_thread": staff_thread_id,
        "post": post_id,
        "staff_post": staff_post_id,
        "municipality": places["home"],
        "organisation": places["cplt"],
        "process": process_id,
        "phase": phase_id,
        "user": personas["citizen"].id,
        "assignment": assignment_id,
        "request": request_id,
        "token": "not-a-token",
    }
    return personas, ids


def _workshop_world(app, factory, process_id, personas) -> dict:
    """A co-design workshop with a board (the citizen's card, a cluster, an open dot vote
    with the citizen's dot), and an expert workshop with a presentation."""
    from accounts.models import User
    from forums.workshops import services as workshop_services
    from forums.workshops.boards import services as board_services
    from forums.workshops.boards.models import Board, Card
    from forums.workshops.models import Workshop, WorkshopInvitation

    citizen_id = personas["citizen"].id
    workshop_id = factory.workshop(process_id, title="Taller", invite=[citizen_id])
    expert_id = factory.workshop(process_id, kind="expert", title="Expertos")
    board_id = factory.board(workshop_id)
    card_id, card_contribution_id = factory.card(board_id, citizen_id)
    with app.app_context():
        citizen = db.session.get(User, citizen_id)
        board = db.session.get(Board, board_id)
        first, *_middle, last = board_services.columns(board)
        presentation = workshop_services.save_presentation(
            db.session.get(Workshop, expert_id), None, "Datos abiertos", "Expositora A", "", ""
        )
        invitation = db.session.scalar(db.select(WorkshopInvitation).where(WorkshopInvitation.user_id == citizen_id))
        cluster = board_services.add_cluster(board, first, "Grupo")
        board_services.open_round(board, 3, 2)
        board_services.place_dot(citizen, board, invitation, db.session.get(Card, card_id))
        db.session.commit()
        return {
            "workshop": workshop_id,
            "expert_workshop": expert_id,
            "presentation": presentation.id,
            "invitation": invitation.id,
            "board": board_id,
            "card": card_id,
            "card_contribution": card_contribution_id,
            "cluster": cluster.id,
            "column": last.id,
        }


def _consultation_world(app, factory, process_id, personas, contribution_id) -> dict:
    """A published version with a draft drafted from it, an open public round with the
    citizen's comment, and an open committee round whose one member is the citizen."""
    from consultations.rounds.models import RoundMember
    from consultations.versions.models import Version

    citizen_id = personas["citizen"].id
    version_id = factory.version(process_id)
    with app.app_context():
        model_id = db.session.get(Version, version_id).model_id
    draft_id = factory.version(model_id=model_id, label="v0.2", based_on_id=version_id, published=False)
    round_id = factory.round(version_id)
    committee_id = factory.round(version_id, "committee", title="Comité", members=[citizen_id])
    comment_id, _contribution = factory.comment(round_id, citizen_id)
    committee_comment_id, _contribution = factory.comment(committee_id, citizen_id)
    with app.app_context():
        from consultations.coding import services as coding

        member_id = db.session.scalar(db.select(RoundMember.id).where(RoundMember.round_id == committee_id))
        theme_id = coding.create_theme(process_id, "T-ACTAS", "Actas en plazo", section_keys=["T.3"]).id
        from consultations.revisions import services as revisions
        from consultations.verdicts import services as verdicts
        from consultations.versions.models import Version as Version_

        draft = db.session.get(Version_, draft_id)
        change_id = revisions.save_change(draft, None, "Plazo", "Lo pidieron", ["T.3"], [theme_id]).id
        decision_id = verdicts.decide(
            process_id, "not_taken", "Fuera de alcance", None, theme=db.session.get(coding.Theme, theme_id)
        ).id
        from accounts.models import User
        from consultations.coding import agreement

        coders = [db.session.get(User, personas[role].id) for role in ("facilitator", "admin")]
        sample_id = agreement.create_sample(process_id, "Muestra", coders, [contribution_id], None).id
        from consultations.tallies import services as tallies
        from forums.meetings.models import Meeting
        from forums.sheets import services as sheets

        meeting = db.session.scalar(db.select(Meeting).limit(1))
        walk_in = sheets.add_walk_in(coders[0], meeting, "Vecina", "citizen", None, True)
        other = sheets.add_walk_in(coders[0], meeting, "Vecino", "citizen", None, True)
        walk_in_link_id = tallies.merge_walk_ins(other, walk_in, None).id
        walk_in_id = walk_in.id
        db.session.commit()
    return {
        "walk_in": walk_in_id,
        "walk_in_link": walk_in_link_id,
        "sample": sample_id,
        "change": change_id,
        "decision": decision_id,
        "theme": theme_id,
        "model": model_id,
        "version": version_id,
        "draft": draft_id,
        "key": "T.3",
        "round": round_id,
        "committee_round": committee_id,
        "round_member": member_id,
        "comment": comment_id,
        "committee_comment": committee_comment_id,
    }


CASES = [
    pytest.param(method, url, role, expected[role], set(expected.values()) == {302}, id=f"{method} {url} as {role}")
    for method, url, expected in MATRIX
    if method != "GET"
    for role in ROLES
]
PAGES = [pytest.param(url, expected, id=f"GET {url}") for method, url, expected in MATRIX if method == "GET"]


def _check(client, personas, ids, method, url, role, expected, redirects_everyone):
    """What ``role`` gets for ``method url``: None if as expected, else what went wrong."""
    if role != "anonymous":
        assert login(client, personas[role]).status_code == 302
    # A field nobody declares: the form counts as submitted, and every real field is missing.
    data = {"probe": "1"} if method == "POST" else None
    response = client.open(url.format(**ids), method=method, data=data)
    if response.status_code != expected:
        return f"{response.status_code} instead of {expected}: {response.get_data(as_text=True)[:300]}"
    if expected == 302 and role == "anonymous" and method == "GET" and not redirects_everyone:
        if "/login" not in response.location:
            return f"redirected to {response.location}, not to sign in"
    return None


@pytest.mark.parametrize(("method", "url", "role", "expected", "redirects_everyone"), CASES)
def test_permission_matrix(client, world, method, url, role, expected, redirects_everyone):
    """Every action, for each role on a world of its own (an action changes the world)."""
    personas, ids = world
    problem = _check(client, personas, ids, method, url, role, expected, redirects_everyone)
    assert problem is None, problem


@pytest.mark.parametrize(("url", "expected"), PAGES)
def test_permission_matrix_pages(app, world, url, expected):
    """Every page, for every role in turn (each with a client of its own) on one world:
    reading changes nothing another role could be refused or shown."""
    personas, ids = world
    redirects_everyone = set(expected.values()) == {302}
    problems = {}
    for role in ROLES:
        problem = _check(app.test_client(), personas, ids, "GET", url, role, expected[role], redirects_everyone)
        if problem is not None:
            problems[role] = problem
    assert not problems, problems


def test_matrix_covers_every_route(app):
    listed = {(method, url) for method, url, _ in MATRIX}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", "{x}").replace(f"<{argument}>", "{x}")
            normalised = {(m, _normalise(u)) for m, u in listed if m == method}
            # A route with any(a, b) parts needs a row for each combination of their values.
            choices = re.findall(r"<any\(([a-z, ]+)\):[a-z]+>", path)
            options = [[v.strip() for v in choice.split(",")] for choice in choices]
            for values in itertools.product(*options):
                given = iter(values)
                concrete = re.sub(r"<any\([a-z, ]+\):[a-z]+>", lambda _match, given=given: next(given), path)
                if (method, concrete) not in normalised:
                    label = f" ({', '.join(values)})" if values else ""
                    missing.append(f"{method} {rule.rule}{label}")
    assert not missing, f"routes missing from the permission matrix: {missing}"


def _normalise(url):
    return re.sub(r"\{[a-z_]+\}", "{x}", url)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/municipalities/999999",
        "/admin/organisations/999999",
        "/admin/processes/999999",
    ],
)
def test_unknown_ids_are_404_for_administrators(client, personas, url):
    login(client, personas["admin"])
    assert client.get(url).status_code == 404
    assert client.post(url, data={"name": "x"}).status_code == 404


def test_unknown_user_is_404(client, personas):
    login(client, personas["admin"])
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/users/not-a-number").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/admin/roles/999999/revoke",
        "/admin/staff-requests/999999/approve",
        "/admin/processes/999999/phases",
        "/admin/users/999999/roles",
    ],
)
def test_unknown_ids_in_actions_are_404(client, personas, url):
    login(client, personas["admin"])
    assert client.post(url, data={}).status_code == 404


def test_phase_of_another_process_is_404(app, client, factory, personas):
    first, second = factory.process(), factory.process()
    with app.app_context():
        from accounts.models import Process

        phase_id = db.session.get(Process, second).phases[0].id
    login(client, personas["admin"])
    assert client.post(f"/admin/processes/{first}/phases/{phase_id}/delete").status_code == 404


def test_staff_role_is_scoped_to_its_municipality(app, personas, places):
    with app.app_context():
        from accounts.models import User

        staff = db.session.get(User, personas["staff"].id)
        assert staff.has_role(Role.STAFF, municipality_id=places["home"])
        assert not staff.has_role(Role.STAFF, municipality_id=places["other"])
        assert staff.has_role(Role.CITIZEN)
        assert not staff.has_role(Role.ADMIN)


def test_process_dates_are_dates(app, factory):
    with app.app_context():
        from accounts.models import Process

        process = db.session.get(Process, factory.process())
        assert process.starts_on == date(2016, 9, 1)
