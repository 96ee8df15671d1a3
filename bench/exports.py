"""Exports and the participation summary of a large process, against their budgets.

Builds a throwaway SQLite database with ``flask db upgrade`` and ``flask bench seed``
(1,000,000 contributions by 100,000 people unless told otherwise; an existing file is
reused, brought up to the latest migration, so only the first run pays for the
seeding), then measures, each in a child process of its own so the peak resident memory
is that figure's alone, through the app's real routes and the test client, signed in as
the benchmark's facilitator:

- the CSV download of the contributions with their themes (the body read chunk by
  chunk into a temporary file, as a browser would);
- the same as XLSX;
- the participation summary page, public and internal (``?internal=1``): the median of
  three warm requests after a first one.

Prints each figure beside its budget, OK or OVER, and writes the table to
``bench/results/exports-<date>.md``. An export's time is given with the CPU time it took
(its own, and apart that of the processes it started: on SQLite the rows are read in one)
and the machine's load average: on a machine shared with other work, the clock runs on
while the export waits for a processor. Peak RSS is the export's process alone.

    .venv/bin/python bench/exports.py [--database PATH] [--contributions N --participants M]
    .venv/bin/python bench/exports.py --only summary --profile   # where the time goes

A benchmark, not a test: nothing here runs in ``make test``.
"""

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
#: figure: (label, route after /consultations/processes/<id>, seconds, peak RSS in MB or None)
FIGURES = {
    "csv": ("CSV export of the contributions with their themes", "/export/contributions.csv", 10, 100),
    "xlsx": ("XLSX export of the contributions with their themes", "/export/contributions.xlsx", 60, 150),
    "summary": ("Participation summary page (public)", "/summary", 1, None),
    "summary-internal": ("Participation summary page (internal)", "/summary?internal=1", 1, None),
}


def peak_rss(field: str = "VmHWM") -> int:
    """This process's peak resident set size (or with ``VmRSS`` the current one), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak() -> None:
    """Forget the peak so far (Linux: ``5`` in ``clear_refs``), so that signing in
    (scrypt takes 32 MiB) does not count as the export's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def environment(database: Path) -> dict:
    env = dict(os.environ, FLASK_APP="app", COCREA_DATABASE_URL=f"sqlite:///{database}")
    env.setdefault("COCREA_SECRET_KEY", "bench")
    return env


def build(database: Path, contributions: int, participants: int) -> float | None:
    """Migrate ``database`` (an existing one too, so that it has the tables and columns
    the app now reads) and seed it unless it existed; the seconds seeding took, if it ran."""
    flask = [str(ROOT / ".venv" / "bin" / "flask")] if (ROOT / ".venv" / "bin" / "flask").exists() else ["flask"]
    env = environment(database)
    existed = database.exists()
    if not existed:
        print(f"Building {database} ({contributions:,} contributions, {participants:,} people) ...", flush=True)
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    if existed:
        return None
    start = time.perf_counter()
    seeded = subprocess.run(
        [*flask, "bench", "seed", "--contributions", str(contributions), "--participants", str(participants)],
        cwd=ROOT,
        env=env,
    )
    if seeded.returncode != 0:
        database.unlink(missing_ok=True)
        raise SystemExit("Seeding failed.")
    return time.perf_counter() - start


def process_id(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT id FROM processes WHERE title LIKE 'Proceso de referencia%' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    if row is None:
        raise SystemExit(f"{database} has no benchmark process: remove it and run again.")
    return row[0]


# The child: one figure -------------------------------------------------------------------


def write_a_reply(app, process: int) -> None:
    """A reply in the process's first thread, committed (it changes the summary)."""
    from sqlalchemy import select

    from accounts.models import User
    from consultations.tallies import ledger
    from core.extensions import db
    from forums.discussions import services as discussions
    from forums.discussions.models import Forum, ForumMember, Thread

    with app.app_context():
        if not ledger.built():
            # A database seeded before the ledger existed: fill it first (not measured).
            ledger.rebuild()
            db.session.commit()
        thread = db.session.scalar(
            select(Thread).join(Forum, Thread.forum_id == Forum.id).where(Forum.process_id == process).limit(1)
        )
        member = select(ForumMember.user_id).where(ForumMember.forum_id == thread.forum_id).limit(1)
        user = db.session.scalar(select(User).where(User.id.in_(member)))
        discussions.reply(user, thread, "Una respuesta antes de medir el resumen.")
        db.session.commit()


def child(figure: str, database: Path, process: int, profile: bool) -> dict:
    """Measure one figure in this process; returns seconds, bytes, peak RSS."""
    from app import create_app
    from bench.generate import FACILITATOR_EMAIL, FACILITATOR_PASSWORD

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = app.test_client()
    answer = client.post("/login", data={"email": FACILITATOR_EMAIL, "password": FACILITATOR_PASSWORD})
    assert answer.status_code in (302, 303), f"login answered {answer.status_code}"
    url = f"/consultations/processes/{process}{FIGURES[figure][1]}"
    reset_peak()
    baseline = peak_rss("VmRSS")
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    load = os.getloadavg()[0]
    cpu = os.times()
    if figure.startswith("summary"):
        # "First request after a write": someone replies in a thread of the process
        # (through the service, as the page would), then the summary is asked for.
        write_a_reply(app, process)
        seconds = [request(client, url, None, profiler if n == 1 else None)[0] for n in range(4)]
        result = {"seconds": statistics.median(seconds[1:]), "first": seconds[0], "bytes": 0}
    else:
        with tempfile.TemporaryFile() as sink:
            elapsed, size = request(client, url, sink, profiler)
        result = {"seconds": elapsed, "bytes": size}
    spent = os.times()
    helpers = spent.children_user + spent.children_system - cpu.children_user - cpu.children_system
    result.update(user=spent.user - cpu.user, system=spent.system - cpu.system, helpers=helpers, load=load)
    if profiler is not None:
        import io
        import pstats

        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        result["profile"] = out.getvalue()
    result.update(peak=peak_rss(), baseline=baseline)
    return result


def request(client, url, sink, profiler) -> tuple[float, int]:
    """Request ``url`` and read its body chunk by chunk (into ``sink``, if given)."""
    if profiler is not None:
        profiler.enable()
    start = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    size = 0
    for chunk in response.iter_encoded():
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    response.close()
    elapsed = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
    return elapsed, size


# The parent ------------------------------------------------------------------------------


def measure(figure: str, database: Path, process: int, profile: bool) -> dict:
    command = [sys.executable, __file__, "--child", figure, "--database", str(database), "--process", str(process)]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, cwd=ROOT, env=environment(database), capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        # The exception's own line (SQLAlchemy ends with a link to its error page).
        said = [line for line in done.stderr.strip().splitlines() if not line.startswith("(Background on")]
        return {"error": said[-1] if said else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: dict, contributions: int, participants: int, seeded: float | None) -> list[str]:
    lines = [
        f"{contributions:,} contributions by {participants:,} people, SQLite, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {date.today().isoformat()}",
        "",
        "| Figure | Measured | Budget | |",
        "|---|---|---|---|",
    ]
    if seeded is not None:
        lines.append(f"| Seeding (`flask bench seed`) | {seeded:.0f} s | a few minutes | |")
    for figure, result in results.items():
        label, _route, seconds, megabytes = FIGURES[figure]
        if "error" in result:
            lines.append(f"| {label} | failed: {result['error']} | ≤ {seconds} s | OVER |")
            continue
        ok = result["seconds"] <= seconds
        measured = f"{result['seconds']:.2f} s"
        budget = f"≤ {seconds} s"
        if figure.startswith("summary"):
            # The repeat request is served from the tallies' cache; the first one, as after
            # any write, computes: both are shown, each against the budget.
            lines.append(f"| {label}: repeat request | {measured} | {budget} | {'OK' if ok else 'OVER'} |")
            first = result["first"]
            verdict = "OK" if first <= seconds else "OVER"
            lines.append(f"| {label}: first request after a write | {first:.2f} s | {budget} | {verdict} |")
        else:
            # Other programs on the machine slow the clock down, not the CPU time it took.
            # A process the export started (SQLite's rows read on a second core) counts apart.
            helpers = f", {result['helpers']:.1f} s in helper processes" if result.get("helpers") else ""
            measured += (
                f" ({result['user']:.1f} s CPU user, {result['system']:.1f} s system{helpers};"
                f" load average {result['load']:.1f})"
            )
            lines.append(f"| {label}: time | {measured} | {budget} | {'OK' if ok else 'OVER'} |")
        peak = result["peak"] / MB
        if megabytes is not None:
            extra = f" ({result['bytes'] / MB:,.0f} MB written; {result['baseline'] / MB:.0f} MB before the request)"
            verdict = "OK" if peak <= megabytes else "OVER"
            lines.append(f"| {label}: peak RSS | {peak:.0f} MB{extra} | ≤ {megabytes} MB | {verdict} |")
        else:
            lines.append(f"| {label}: peak RSS | {peak:.0f} MB | | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", type=Path, help="SQLite file to build or reuse.")
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--only", action="append", choices=sorted(FIGURES), help="Measure only this figure.")
    parser.add_argument("--profile", action="store_true", help="Print the cProfile of each figure's request.")
    parser.add_argument("--child", choices=sorted(FIGURES), help=argparse.SUPPRESS)
    parser.add_argument("--process", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    database = args.database or Path(tempfile.gettempdir()) / (
        f"cocrea-bench-{args.contributions}-{args.participants}.sqlite3"
    )
    database = database.resolve()
    if args.child:
        print(json.dumps(child(args.child, database, args.process, args.profile)))
        return
    seeded = build(database, args.contributions, args.participants)
    process = process_id(database)
    results = {}
    for figure in args.only or list(FIGURES):
        print(f"Measuring: {FIGURES[figure][0]} ...", flush=True)
        results[figure] = measure(figure, database, process, args.profile)
        if args.profile and "profile" in results[figure]:
            print(results[figure]["profile"])
    lines = table(results, args.contributions, args.participants, seeded)
    print("\n".join(lines))
    out = ROOT / "bench" / "results" / f"exports-{date.today().isoformat()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        "# Exports and summary benchmark\n\n"
        f"`.venv/bin/python bench/exports.py --contributions {args.contributions} "
        f"--participants {args.participants}`\n\n" + "\n".join(lines) + "\n"
    )
    print(f"\nWritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
