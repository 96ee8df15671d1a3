"""Bare Flask: the yardstick the page benchmark compares every page with, served the same
way (gunicorn, the same workers) in the same run.

    .venv/bin/gunicorn -w 2 bench.hello:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
