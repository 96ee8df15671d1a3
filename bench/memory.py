"""Each gunicorn worker's memory after warm-up, beside the 80 MB target of issue 13.

1. Reads the memory of a process that has only run the factory (``bench/serve.py``):
   what every worker holds before its first request.
2. Builds (or reuses) a SQLite database as ``bench/pages.py`` does, smaller by default
   (20,000 contributions by 2,000 people: every page lists a page of rows, so a worker's
   memory hardly depends on the size), and serves ``bench/serve.py`` with gunicorn, two
   sync workers, as the page benchmark does (``--preload``: the master loads the
   application and forks the workers from it, ``gunicorn.conf.py``).
3. Requests each page of the page benchmark's list ``--rounds`` times, anonymous and
   signed in as the list says, four at a time so that both workers draw every page.
4. Prints the RSS of the master and of each worker, each worker's beside the target, with
   PSS and USS (:func:`bench.pages.memory_mb`).
5. Serves the stack's floor (``bench/floor.py``: the libraries Cocrea is built on, none
   of its own code, one page of 50 posts) the same way, warms it with as many requests,
   and prints its workers' memory: what any application on this stack holds before its
   own code, models, templates and caches.

    .venv/bin/python bench/memory.py [--rounds 30] [--preload] [--database PATH]
    scripts/with-postgres.sh .venv/bin/python bench/memory.py --engine postgresql

A benchmark, not a test: nothing here runs in ``make test``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import pages  # noqa: E402  (run as a script: after the path is set)

#: A process that makes the application, says so, and waits to be measured.
FACTORY_ONLY = "from bench.serve import app; print('ready', flush=True); input()"


def line(label: str, memory: tuple[float, float, float], target: bool = True) -> str:
    rss, pss, uss = memory
    verdict = f" (target ≤ {pages.WORKER_RSS_MB} MB: {pages.verdict(rss <= pages.WORKER_RSS_MB)})" if target else ""
    return f"{label:<22} RSS {rss:5.1f} MB{verdict}, PSS {pss:5.1f} MB, USS {uss:5.1f} MB"


def after_factory(env: dict) -> tuple[float, float, float]:
    """The memory of a process that has made the application and served nothing."""
    command = [sys.executable, "-c", FACTORY_ONLY]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("bench/serve.py did not start.")
        return pages.memory_mb(process.pid)
    finally:
        process.communicate("\n", timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database", type=Path, help="SQLite file (default: one in the temporary directory)")
    parser.add_argument("--contributions", type=int, default=20_000)
    parser.add_argument("--participants", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=30, help="requests of each page")
    parser.add_argument("--preload", action="store_true", help="gunicorn --preload")
    args = parser.parse_args()

    if args.engine == "postgresql":
        url = os.environ.get("COCREA_TEST_DATABASE_URL")
        if not url:
            raise SystemExit("Run under scripts/with-postgres.sh (COCREA_TEST_DATABASE_URL is not set).")
        pages.build(url, args.contributions, args.participants)
    else:
        database = args.database or Path(tempfile.gettempdir()) / (
            f"cocrea-bench-memory-{args.contributions}-{args.participants}.sqlite3"
        )
        url = f"sqlite:///{database}"
        if not database.exists():
            try:
                pages.build(url, args.contributions, args.participants)
            except BaseException:
                database.unlink(missing_ok=True)
                raise
        else:
            subprocess.run(
                [str(pages.BIN / "flask"), "db", "upgrade"],
                cwd=ROOT,
                env=pages.flask_env(url),
                check=True,
                capture_output=True,
            )
    env = pages.flask_env(url)

    print(line("After create_app:", after_factory(env)))

    app = pages.make_app(url)
    ids = pages.prepare(app)
    viewers = pages.cookies(app, ids)
    chosen = pages.pages(ids)
    logs = Path(tempfile.mkdtemp(prefix="cocrea-bench-memory-"))
    options = ["--preload"] if args.preload else []
    site = pages.Server("bench.serve:app", env, logs / "site.log", options)
    try:
        begun = time.monotonic()
        statuses = warm(site, [(page.path, viewers[page.who]) for page in chosen], args.rounds)
        failed = sum(status != 200 for status in statuses)
        print(
            f"Warm-up: {len(chosen)} pages, {args.rounds} requests each, in {time.monotonic() - begun:.0f} s"
            + (f"; **{failed} answers not 200** (see {logs})" if failed else "")
        )
        print(line(f"Master {site.process.pid}:", pages.memory_mb(site.process.pid), target=False))
        for pid in site.worker_pids():
            print(line(f"Worker {pid}:", pages.memory_mb(pid)))
    finally:
        site.stop()

    floor = pages.Server("bench.floor:app", env, logs / "floor.log", options)
    try:
        statuses = warm(floor, [("/", None)], args.rounds * len(chosen))
        if any(status != 200 for status in statuses):
            raise SystemExit(f"bench/floor.py did not answer 200; see {logs}")
        print(f"The stack's floor (bench/floor.py), {len(statuses)} requests:")
        for pid in floor.worker_pids():
            print(line(f"Floor worker {pid}:", pages.memory_mb(pid), target=False))
    finally:
        floor.stop()


def warm(server: pages.Server, paths: list[tuple[str, str | None]], rounds: int) -> list[int]:
    """Fetch each ``(path, cookie)`` ``rounds`` times, four at a time so that both workers
    answer each; the statuses."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda item: pages.fetch(server.url + item[0], item[1])[0], paths * rounds))


if __name__ == "__main__":
    main()
