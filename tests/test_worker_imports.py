"""A worker that only serves pages never loads the libraries of downloads, charts,
agreement or the storing of text (issue 13: a worker's memory). They are imported
inside the functions that need them; this checks it in a fresh process, since the test
process itself has long imported them all."""

import json
import os
import subprocess
import sys
from pathlib import Path

from core.extensions import db
from core.roles import Role
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]

#: Each a few megabytes a process: files (PDF, XLSX, ODS), charts, agreement, and the
#: markdown rendering and sanitizing of text being stored (lxml: also a version diff).
HEAVY = (
    "matplotlib",
    "numpy",
    "krippendorff",
    "weasyprint",
    "xlsxwriter",
    "odf",
    "openpyxl",
    "PIL",
    "lxml",
    "bleach",
    "markdown_it",
)

#: A worker's life in short: the factory, then pages, anonymous and signed in.
WORKER = """
import json, sys

from app import create_app

url, email, password, paths = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "worker", "WTF_CSRF_ENABLED": False})
statuses = {}
for signed_in in (False, True):
    client = app.test_client()
    if signed_in:
        statuses["login"] = client.post("/login", data={"email": email, "password": password}).status_code
    for path in paths:
        statuses[f"{path} {signed_in}"] = client.get(path).status_code
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[5])))
loaded = [name for name in sys.modules if name.startswith("sqlalchemy.dialects.") and "._" not in name]
dialects = sorted({".".join(name.split(".")[:3]) for name in loaded})
print(json.dumps({"statuses": statuses, "heavy": heavy, "dialects": dialects}))
"""


def test_serving_pages_loads_no_heavy_library(app, factory, places):
    facilitator = factory.user(Role.FACILITATOR, organisation_id=places["cplt"])
    process = factory.process()
    forum = factory.forum(process_id=process, municipality_id=places["home"])
    thread = factory.thread(forum, facilitator.id, posts=3)
    version = factory.version(process_id=process)
    paths = [
        "/",
        "/forums/",
        f"/forums/{forum}",
        f"/forums/threads/{thread}",
        f"/consultations/versions/{version}",
        f"/consultations/versions/{version}/sections/T.3",
        f"/consultations/processes/{process}/summary",
    ]

    worker = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER,
            app.config["SQLALCHEMY_DATABASE_URI"],
            facilitator.email,
            PASSWORD,
            json.dumps(paths),
            json.dumps(HEAVY),
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert worker.returncode == 0, worker.stderr[-2000:]
    found = json.loads(worker.stdout.strip().splitlines()[-1])
    assert found["statuses"].pop("login") == 302
    assert set(found["statuses"].values()) == {200}, found["statuses"]
    assert found["heavy"] == []
    with app.app_context():
        engine = db.engine.dialect.name
    assert found["dialects"] == [f"sqlalchemy.dialects.{engine}"], "only the engine's own SQL dialect"
