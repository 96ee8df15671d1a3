"""The application as the page benchmark serves it with gunicorn: the real factory, its
configuration from the environment (``COCREA_DATABASE_URL``, ``COCREA_SECRET_KEY``), and
threads of 50 posts a page, as the benchmark's thread page asks.

    COCREA_DATABASE_URL=... COCREA_SECRET_KEY=... .venv/bin/gunicorn -w 2 bench.serve:app
"""

import os

from app import create_app

app = create_app({"POSTS_PER_PAGE": int(os.environ.get("COCREA_BENCH_POSTS_PER_PAGE", "50"))})
