"""Each gunicorn worker's memory after warm-up, beside the 80 MB target of issue 13.

1. Reads the memory of a process that has only run the factory (``bench/serve.py``):
   what every worker holds before its first request.
2. Builds (or reuses) a SQLite database as ``bench/pages.py`` does, smaller by default
   (20,000 contributions by 2,000 people: every page lists a page of rows, so a worker's
   memory hardly depends on the size), and serves ``bench/serve.py`` with gunicorn, two
   sync workers, as the page benchmark does (``--preload``: the master imports the
   application and forks the workers from it).
3. Requests each page of the page benchmark's list ``--rounds`` times, anonymous and
   signed in as the list says, four at a time so that both workers draw every page.
4. Prints the RSS of the master and of each worker, each worker's beside the target, with
   PSS and USS (:func:`bench.pages.memory_mb`).

    .venv/bin/python bench/memory.py [--rounds 30] [--preload] [--database PATH]

A benchmark, not a test: nothing here runs in ``make test``.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--database", type=Path, help="SQLite file (default: one in the temporary directory)")
    parser.add_argument("--contributions", type=int, default=20_000)
    parser.add_argument("--participants", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=30, help="requests of each page")
    parser.add_argument("--preload", action="store_true", help="gunicorn --preload")
    args = parser.parse_args()

    database = args.database or Path(tempfile.gettempdir()) / (
        f"cocrea-bench-memory-{args.contributions}-{args.participants}.sqlite3"
    )
    url = f"sqlite:///{database}"
    env = pages.flask_env(url)
    if not database.exists():
        try:
            pages.build(url, args.contributions, args.participants)
        except BaseException:
            database.unlink(missing_ok=True)
            raise
    else:
        subprocess.run([str(pages.BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)

    print(line("After create_app:", after_factory(env)))

    app = pages.make_app(url)
    ids = pages.prepare(app)
    viewers = pages.cookies(app, ids)
    chosen = pages.pages(ids)
    log = Path(tempfile.mkdtemp(prefix="cocrea-bench-memory-")) / "site.log"
    site = pages.Server("bench.serve:app", env, log, ["--preload"] if args.preload else [])
    try:
        begun = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            statuses = list(
                pool.map(lambda page: pages.fetch(site.url + page.path, viewers[page.who])[0], chosen * args.rounds)
            )
        failed = sum(status != 200 for status in statuses)
        print(
            f"Warm-up: {len(chosen)} pages, {args.rounds} requests each, in {time.monotonic() - begun:.0f} s"
            + (f"; **{failed} answers not 200** (see {log})" if failed else "")
        )
        print(line(f"Master {site.process.pid}:", pages.memory_mb(site.process.pid), target=False))
        for pid in site.worker_pids():
            print(line(f"Worker {pid}:", pages.memory_mb(pid)))
    finally:
        site.stop()


if __name__ == "__main__":
    main()
