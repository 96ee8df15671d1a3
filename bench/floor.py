"""The stack's floor: the smallest application made of the libraries Cocrea is built on,
for ``bench/memory.py`` to weigh a worker of it beside a worker of Cocrea.

It sets up what every Cocrea worker sets up (Flask, Flask-SQLAlchemy on the benchmark's
database, Flask-Login, Flask-WTF's CSRF protection, Flask-Babel in Spanish, Flask-Limiter,
Flask-Caching, Flask-Mail; not the libraries Cocrea imports only where they are used,
such as markdown-it-py, bleach and lxml) and serves one page: the first 50 posts of a
thread, each with its number and its date formatted by Babel, in a Jinja template with a
CSRF token, as a visitor who is not signed in sees it. None of Cocrea's own code is
imported.

    COCREA_DATABASE_URL=... .venv/bin/gunicorn -w 2 bench.floor:app
"""

import os
from datetime import datetime

from flask import Flask, render_template_string
from flask_babel import Babel, format_datetime
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import Mapped, mapped_column

app = Flask(__name__)
app.config.update(
    SQLALCHEMY_DATABASE_URI=os.environ["COCREA_DATABASE_URL"],
    SECRET_KEY=os.environ.get("COCREA_SECRET_KEY", "cocrea-bench-floor"),
    BABEL_DEFAULT_LOCALE="es",
    BABEL_DEFAULT_TIMEZONE="America/Santiago",
    CACHE_TYPE="SimpleCache",
    RATELIMIT_STORAGE_URI="memory://",
)
db = SQLAlchemy(app)
CSRFProtect(app)
Babel(app)
Cache(app)
Mail(app)
Limiter(get_remote_address, app=app, default_limits=["100000 per minute"])
login = LoginManager(app)
login.user_loader(lambda user_id: None)


class Post(db.Model):
    """A post of the benchmark's database, its number and date only."""

    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int]
    number: Mapped[int]
    created_at: Mapped[datetime]


PAGE = """<!doctype html><html lang="es"><title>{{ title }}</title>
<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}"></form>
<ol>{% for post in posts %}<li>{{ post.number }}: {{ format_datetime(post.created_at) }}</li>{% endfor %}</ol>"""


@app.get("/")
def page():
    thread = db.session.scalar(select(Post.thread_id).limit(1))
    posts = db.session.scalars(select(Post).where(Post.thread_id == thread).order_by(Post.number).limit(50)).all()
    return render_template_string(PAGE, title="Hilo", posts=posts, format_datetime=format_datetime)
