"""Every main page under load, beside bare Flask measured in the same run: ``make bench``.

1. Builds a database with ``flask db upgrade`` and ``flask bench seed`` (1,000,000
   contributions by 100,000 people unless told otherwise, with a 5,000-post thread by 50
   authors in the first citizen forum and boards of 200 cards), then adds two
   100-section versions to diff (``bench/diff_versions.py``) and gives a known password to
   the person whose contributions number closest to 500 (at least 500 when anyone has).
   A SQLite file in the temporary directory is reused by later runs; on PostgreSQL
   (``--engine postgresql``, the throwaway cluster of ``scripts/with-postgres.sh``) the
   database is built each time.
2. Serves the application (``bench/serve.py``) and a bare Flask hello app
   (``bench/hello.py``) with gunicorn, two sync workers each, on loopback, with the
   project's ``gunicorn.conf.py`` as in production.
3. For each page, signs in where the page needs it (the session cookie comes from the
   test client, signed with the same key), fetches it once (status and bytes), counts its
   SQL queries in this process through the test client, warms both workers, then loads it
   with ``wrk`` (4 connections, 2 threads) and reads requests/s, p50 and p99. Hello is
   measured at the start and at the end; the ratio is to their mean.
4. Reads each worker's resident memory after the run (RSS, with PSS and USS), prints the
   table with each figure beside its target, and writes it to
   ``bench/results/pages-<engine>-<date>.md``.

    .venv/bin/python bench/pages.py [--contributions N --participants M] [--duration S]
    scripts/with-postgres.sh .venv/bin/python bench/pages.py --engine postgresql
    .venv/bin/python bench/pages.py --only thread   # pages whose name contains "thread"

A benchmark, not a test: nothing here runs in ``make test``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BIN = ROOT / ".venv" / "bin"
SECRET = "cocrea-bench-pages"
USER_AGENT = "cocrea-bench"
PERSON_PASSWORD = "bench-persona-500"
POSTS_PER_PAGE = 50
LONG_THREAD = 5000

#: Targets (issue 13): the thread page's share of hello's requests/s and its p99; every
#: page's p99 and queries; each worker's memory after warm-up.
THREAD_RATIO = 0.15
THREAD_P99_MS = 50
PAGE_P99_MS = 100
PAGE_QUERIES = 8
WORKER_RSS_MB = 80


@dataclass
class Page:
    name: str
    path: str
    #: ``None`` (anonymous), ``"person"`` (500 contributions) or ``"facilitator"``.
    who: str | None = None
    thread: bool = False


@dataclass
class Result:
    page: Page
    status: int
    size: int
    queries: int
    rps: float
    p50: float
    p99: float
    errors: int


# Building -----------------------------------------------------------------------------


def flask_env(url: str) -> dict:
    return dict(
        os.environ,
        FLASK_APP="app",
        COCREA_DATABASE_URL=url,
        COCREA_SECRET_KEY=SECRET,
        COCREA_BENCH_POSTS_PER_PAGE=str(POSTS_PER_PAGE),
        PYTHONPATH=str(ROOT),
    )


def build(url: str, contributions: int, participants: int) -> None:
    flask = str(BIN / "flask")
    env = flask_env(url)
    print(f"Building the database ({contributions:,} contributions, {participants:,} people) ...", flush=True)
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    seeded = subprocess.run(
        [
            flask,
            "bench",
            "seed",
            "--contributions",
            str(contributions),
            "--participants",
            str(participants),
            "--long-thread",
            str(LONG_THREAD),
            "--board-cards",
            "200",
        ],
        cwd=ROOT,
        env=env,
    )
    if seeded.returncode != 0:
        raise SystemExit("Seeding failed.")


def make_app(url: str):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "POSTS_PER_PAGE": POSTS_PER_PAGE,
        }
    )


def prepare(app) -> dict:
    """The pages' ids, adding what the seed does not make (two 100-section versions to
    diff, the person's password); idempotent."""
    from sqlalchemy import func, select, text
    from werkzeug.security import generate_password_hash

    from accounts.models import Process, User
    from bench import diff_versions
    from bench.generate import FACILITATOR_EMAIL
    from consultations.rounds.models import CommentRound
    from consultations.versions.models import Version as ModelVersion
    from core.extensions import db
    from core.models import Contribution
    from forums.discussions.models import Thread
    from forums.workshops.boards.models import Card

    with app.app_context():
        process_id = db.session.scalar(
            select(Process.id).where(Process.title.like("Proceso de referencia%")).order_by(Process.id.desc())
        )
        if process_id is None:
            raise SystemExit("The database has no benchmark process: remove it and run again.")
        diffed = (
            db.session.execute(
                select(ModelVersion.id).where(ModelVersion.title.in_(("Uno", "Dos"))).order_by(ModelVersion.id)
            )
            .scalars()
            .all()
        )
        if len(diffed) < 2:
            diffed = list(diff_versions.build_versions(process_id))
            # Publishing wrote a verdict for most contributions: the planner's statistics
            # from the seeding no longer describe those tables.
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                # VACUUM too (outside a transaction): the visibility map lets the planner
                # answer from an index alone, as a production database's autovacuum does.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM ANALYZE"))
            else:
                db.session.execute(text("ANALYZE"))
                db.session.commit()
        thread = db.session.execute(
            select(Thread.id, Thread.forum_id, Thread.post_count).order_by(Thread.post_count.desc()).limit(1)
        ).one()
        board_id, cards = db.session.execute(
            select(Card.board_id, func.count()).group_by(Card.board_id).order_by(func.count().desc()).limit(1)
        ).one()
        published = db.session.scalar(
            select(ModelVersion.id)
            .where(ModelVersion.status == "published", ModelVersion.title == "Versión final")
            .order_by(ModelVersion.id.desc())
        )
        # The section of the published version whose comments number closest to 200.
        per_section = db.session.execute(
            select(Contribution.section_key, func.count())
            .join(CommentRound, (Contribution.space_kind == "round") & (Contribution.space_id == CommentRound.id))
            .where(CommentRound.version_id == published, Contribution.section_key.is_not(None))
            .group_by(Contribution.section_key)
        ).all()
        section_key, comments = min(per_section, key=lambda row: abs(row[1] - 200))
        # The person whose contributions number closest to 500, at least 500 if anyone has.
        counts = db.session.execute(
            select(Contribution.author_id, func.count())
            .where(Contribution.author_id.is_not(None))
            .group_by(Contribution.author_id)
            .order_by(func.count().desc())
            .limit(2000)
        ).all()
        enough = [row for row in counts if row[1] >= 500] or counts[:1]
        person_id, person_count = min(enough, key=lambda row: row[1])
        person = db.session.get(User, person_id)
        person.password_hash = generate_password_hash(PERSON_PASSWORD)
        db.session.commit()
        return {
            "process": process_id,
            "thread": thread.id,
            "forum": thread.forum_id,
            "posts": thread.post_count,
            "board": board_id,
            "cards": cards,
            "published": published,
            "section": section_key,
            "comments": comments,
            "diff": diffed[:2],
            "person": person.email,
            "person_count": person_count,
            "facilitator": FACILITATOR_EMAIL,
        }


def pages(ids: dict) -> list[Page]:
    last = max(1, -(-ids["posts"] // POSTS_PER_PAGE))
    middle = max(1, last // 2)
    thread = f"/forums/threads/{ids['thread']}"
    found = [
        Page("home", "/"),
        Page("forum list", "/forums/"),
        Page("forum page", f"/forums/{ids['forum']}"),
    ]
    for who in (None, "person"):
        for label, number in (("first", 1), ("middle", middle), ("last", last)):
            viewer = "signed in" if who else "anonymous"
            found.append(Page(f"thread, {label} page, {viewer}", f"{thread}?page={number}", who, thread=True))
    old, new = ids["diff"]
    found += [
        Page(f"board ({ids['cards']} cards)", f"/forums/boards/{ids['board']}", "facilitator"),
        Page("model matrix", f"/consultations/versions/{ids['published']}"),
        Page(
            f"section page ({ids['comments']} comments)",
            f"/consultations/versions/{ids['published']}/sections/{ids['section']}",
        ),
        Page("diff of two 100-section versions", f"/consultations/versions/{old}/diff/{new}"),
        Page("participation summary", f"/consultations/processes/{ids['process']}/summary"),
        Page(f"Mis aportes ({ids['person_count']} contributions)", "/consultations/mine", "person"),
        Page("coding workbench", f"/consultations/processes/{ids['process']}/coding", "facilitator"),
    ]
    return found


# Measuring ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with two sync workers on a loopback port (and any further ``options``);
    stopped by :meth:`stop`."""

    def __init__(self, target: str, env: dict, log: Path, options: list[str] = ()):
        self.port = free_port()
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                # A first request that counts a million rows may take a while; a worker
                # killed at gunicorn's default 30 s would leave no figure at all.
                "--timeout",
                "300",
                *options,
                target,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{target} did not start; see {log}") from None
                time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def worker_memory_mb(self) -> list[tuple[float, float, float]]:
        """RSS, PSS and USS of each worker (:func:`memory_mb`)."""
        return [memory_mb(pid) for pid in self.worker_pids()]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def memory_mb(pid: int) -> tuple[float, float, float]:
    """Resident memory of process ``pid`` in MB: RSS, which counts the pages it shares with
    other processes (the master, the other workers, libraries) in full; PSS, which counts a
    share of them; and USS, its own pages only (``/proc/PID/smaps_rollup``)."""
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        rollup[name] = int(value.split()[0]) / 1024
    return rollup["Rss"], rollup["Pss"], rollup["Private_Clean"] + rollup["Private_Dirty"]


def fetch(url: str, cookie: str | None) -> tuple[int, int]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, cookie: str | None, duration: int, connections: int) -> tuple[float, float, float, int]:
    """requests/s, p50 and p99 in ms, and non-2xx/3xx answers (plus socket errors)."""
    # A 30 s timeout: a slow page is measured as slow, not dropped as a socket timeout.
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency"]
    command += ["-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None:
        raise OSError(f"wrk printed no figures: {output.strip()[-200:]}")
    rps = float(found.group(1))

    def percentile(p: int) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * _UNITS[unit]

    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(found.group(1))
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(n) for n in found.groups())
    return rps, percentile(50), percentile(99), errors


def cookies(app, ids: dict) -> dict:
    """A session cookie for each kind of viewer (from the test client, signed with the
    servers' key and bound to this user agent on 127.0.0.1)."""
    from bench.generate import FACILITATOR_PASSWORD

    found = {None: None}
    for who, email, password in (
        ("person", ids["person"], PERSON_PASSWORD),
        ("facilitator", ids["facilitator"], FACILITATOR_PASSWORD),
    ):
        client = app.test_client()
        answer = client.post("/login", data={"email": email, "password": password}, headers={"User-Agent": USER_AGENT})
        assert answer.status_code in (302, 303), f"{who} could not sign in: {answer.status_code}"
        # The welcome message, shown as after any sign-in: a session with a message
        # waiting is drawn afresh on every request (core/pagecache.py).
        client.get("/", headers={"User-Agent": USER_AGENT})
        found[who] = f"session={client.get_cookie('session').value}"
    return found


def count_queries(app, path: str, cookie: str | None) -> int:
    """SQL statements of one request, after a first one (caches warm, as under load)."""
    from sqlalchemy import event

    from core.extensions import db

    client = app.test_client()
    if cookie:
        client.set_cookie("session", cookie.split("=", 1)[1])
    headers = {"User-Agent": USER_AGENT}
    client.get(path, headers=headers)
    seen = []
    with app.app_context():
        engine = db.engine

    def count(*args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def verdict(ok: bool) -> str:
    return "OK" if ok else "**OVER**"


def table(
    results: list[Result], hello: float, memory: list[tuple[float, float, float]], engine: str, args, ids: dict
) -> str:
    lines = [
        f"# Pages under load, {engine}, {date.today().isoformat()}",
        "",
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; gunicorn, 2 sync "
        f"workers; wrk, {args.connections} connections, {args.duration} s a page; "
        f"{args.contributions:,} contributions by {args.participants:,} people; thread of {ids['posts']:,} posts, "
        f"{POSTS_PER_PAGE} a page.",
        "",
        f"Bare Flask hello: {hello:,.0f} requests/s (mean of the runs before and after the pages).",
        "",
        "| Page | Status | Requests/s | Ratio to hello | p50 ms | p99 ms | Queries | KiB | Targets |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = r.rps / hello if hello else 0
        checks = [f"p99 ≤ {PAGE_P99_MS} ms {verdict(r.p99 <= PAGE_P99_MS)}"]
        checks.append(f"queries ≤ {PAGE_QUERIES} {verdict(r.queries <= PAGE_QUERIES)}")
        if r.page.thread:
            checks = [
                f"≥ {THREAD_RATIO:.0%} of hello {verdict(ratio >= THREAD_RATIO)}",
                f"p99 ≤ {THREAD_P99_MS} ms {verdict(r.p99 <= THREAD_P99_MS)}",
                checks[1],
            ]
        if r.status == 0:
            checks = ["**failed: no answer (see the run's output)**"]
        elif r.rps == 0:
            checks = ["**no answer within the load's time**"]
        elif r.errors or r.status != 200:
            checks.append(f"**{r.errors} failed answers, status {r.status}**")
        lines.append(
            f"| {r.page.name} | {r.status} | {r.rps:,.0f} | {ratio:.1%} | {r.p50:.1f} | {r.p99:.1f} | "
            f"{r.queries} | {r.size / 1024:,.0f} | {'; '.join(checks)} |"
        )
    worst = max(rss for rss, _pss, _uss in memory) if memory else 0
    lines += [
        "",
        "Worker RSS after the run: "
        + ", ".join(f"{rss:.0f} MB (PSS {pss:.0f} MB, USS {uss:.0f} MB)" for rss, pss, uss in memory)
        + f" (target ≤ {WORKER_RSS_MB} MB RSS each: {verdict(worst <= WORKER_RSS_MB)}).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database", type=Path, help="SQLite file (default: one in the temporary directory)")
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: scripts/system-deps.sh bench installs it.")

    if args.engine == "postgresql":
        url = os.environ.get("COCREA_TEST_DATABASE_URL")
        if not url:
            raise SystemExit("Run under scripts/with-postgres.sh (COCREA_TEST_DATABASE_URL is not set).")
        build(url, args.contributions, args.participants)
    else:
        database = args.database or Path(tempfile.gettempdir()) / (
            f"cocrea-bench-pages-{args.contributions}-{args.participants}.sqlite3"
        )
        url = f"sqlite:///{database}"
        if not database.exists():
            try:
                build(url, args.contributions, args.participants)
            except BaseException:
                database.unlink(missing_ok=True)
                raise
        else:
            # A file from an earlier run gets the migrations (indexes) added since.
            subprocess.run(
                [str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=flask_env(url), check=True, capture_output=True
            )

    app = make_app(url)
    ids = prepare(app)
    chosen = [p for p in pages(ids) if args.only in p.name]
    viewers = cookies(app, ids)
    logs = Path(tempfile.mkdtemp(prefix="cocrea-bench-logs-"))
    env = flask_env(url)
    site = Server("bench.serve:app", env, logs / "site.log")
    hello_server = Server("bench.hello:app", env, logs / "hello.log")
    results = []
    try:
        hellos = [wrk(hello_server.url + "/", None, args.duration, args.connections)[0]]
        print(f"hello: {hellos[0]:,.0f} requests/s", flush=True)
        for page in chosen:
            cookie = viewers[page.who]
            try:
                status, size = fetch(site.url + page.path, cookie)
                queries = count_queries(app, page.path, cookie)
                for _ in range(4):  # both workers compile their templates and warm their caches
                    fetch(site.url + page.path, cookie)
                rps, p50, p99, errors = wrk(site.url + page.path, cookie, args.duration, args.connections)
            except (OSError, subprocess.CalledProcessError, AttributeError) as error:
                # A worker killed for taking too long, say: the row says so and the run goes on.
                print(f"{page.name}: failed ({type(error).__name__}: {error})", flush=True)
                results.append(Result(page, 0, 0, 0, 0.0, 0.0, 0.0, 1))
                continue
            results.append(Result(page, status, size, queries, rps, p50, p99, errors))
            print(
                f"{page.name}: {rps:,.0f} requests/s ({rps / hellos[0]:.1%}), p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                f"{queries} queries, status {status}, {size / 1024:,.0f} KiB",
                flush=True,
            )
        hellos.append(wrk(hello_server.url + "/", None, args.duration, args.connections)[0])
        memory = site.worker_memory_mb()
    finally:
        site.stop()
        hello_server.stop()
    report = table(results, statistics.mean(hellos), memory, args.engine, args, ids)
    print()
    print(report)
    if not args.only:
        out = ROOT / "bench" / "results" / f"pages-{args.engine}-{date.today().isoformat()}.md"
        out.write_text(report)
        print(f"Written to {out.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
