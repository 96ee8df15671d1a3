"""The one confirmation step before an action that deletes, notifies or takes something
away (issue 12): a page that works without JavaScript, drawn by ``templates/confirm.html``.

A view asks on GET and acts on POST::

    form = ConfirmForm()
    if not form.is_submitted():
        return confirm_page(question=..., explanation=..., action=url_for(...), button=...,
                            back=url_for(...), back_label=..., form=form)
    if not form.validate():
        abort(400)
    ...  # do it

The page has one ``h1`` (the question), which also names the form; the form carries the
CSRF token and posts to ``action``; the link beside the button goes ``back`` to where the
person came from, changing nothing.
"""

from flask import render_template

from core.forms import ConfirmForm


def confirm_page(
    *,
    question: str,
    explanation: str,
    action: str,
    button: str,
    back: str,
    back_label: str,
    form: ConfirmForm | None = None,
    subject: str | None = None,
    crumbs: str | None = None,
    concerns: str | None = None,
    danger: bool = False,
    **context,
) -> str:
    """The confirmation page, rendered.

    ``question`` is the heading and the page title (followed by ``subject``, the name of
    the thing concerned, when given); ``explanation`` says what will happen; ``button``
    labels the button that posts to ``action``; ``back`` and ``back_label`` are the way
    out. ``crumbs`` and ``concerns`` name templates included above and below the heading
    (breadcrumbs, then what the action concerns: a post, a card, a session), drawn with
    ``context``. ``danger`` draws the button in the danger colour. ``form`` is the view's
    :class:`ConfirmForm` (a new one when not given). Raises
    :class:`jinja2.TemplateNotFound` if ``crumbs`` or ``concerns`` names no template.
    """
    return render_template(
        "confirm.html",
        question=question,
        explanation=explanation,
        action=action,
        button=button,
        back=back,
        back_label=back_label,
        form=form if form is not None else ConfirmForm(),
        subject=subject,
        crumbs=crumbs,
        concerns=concerns,
        danger=danger,
        **context,
    )
