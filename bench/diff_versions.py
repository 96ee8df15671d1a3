"""How long the diff page of two 100-section versions takes to render, on this machine.

Builds a throwaway SQLite database with one model and two versions of 100 sections each
(about 600 characters per section; a third of the texts reworded, three sections added,
three removed, two moved, five retitled), then requests the diff page through the test
client: each run once with the word diffs forgotten ("cold") and once memoised ("warm"),
after one request that compiles the templates. Prints the median and the 95th
percentile of each against the target (100 ms).

    .venv/bin/python bench/diff_versions.py [--runs 30]

A benchmark, not a test: nothing here runs in ``make test``.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402
from core.extensions import db  # noqa: E402

TARGET_MS = 100
WORDS = (
    "el municipio publica informa consulta responde actas concejo plazo ciudadanía datos abiertos "
    "presupuesto participación cuenta pública vecinos organizaciones indicador nivel verificación "
    "registro sesión acuerdo ordenanza transparencia gestión plan acción local"
).split()


def paragraph(rng: random.Random, words: int = 90) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def keys() -> list[str]:
    """100 keys: 4 dimensions × 5 levels × (1 level + 3 indicators), the factor, its three
    aspects, and free sections."""
    found = ["introduccion"]
    for dimension in "TPRC":
        found.append(dimension)
        for level in range(1, 6):
            found.append(f"{dimension}.{level}")
            found.extend(f"{dimension}.{level}.{letter}" for letter in "abc")
    found += ["I", "I.1", "I.2", "I.3"]
    while len(found) < 100:
        found.append(f"anexo-{len(found)}")
    return found[:100]


def build(app) -> tuple[int, int]:
    """A fresh database with one process and the two versions; their ids."""
    from datetime import date

    from accounts.models import Process

    with app.app_context():
        db.create_all()
        process = Process(title="Bench", starts_on=date(2017, 1, 1), ends_on=date(2018, 1, 1))
        db.session.add(process)
        db.session.flush()
        return build_versions(process.id)


def build_versions(process_id: int) -> tuple[int, int]:
    """In ``process_id``, a model "Modelo" with "Uno" (100 sections, published) and "Dos"
    (reworded, retitled, moved, added and removed sections, published); commits and
    returns their ids. Needs an application context."""
    from consultations.versions import services as versions
    from consultations.versions.keys import parse
    from consultations.versions.models import Section

    rng = random.Random(9)
    model = versions.create_model(process_id, "Modelo")
    old = versions.new_version(model, "v1", "Uno", "", None)
    for position, key in enumerate(keys()):
        section = Section(version_id=old.id, key=key, kind=parse(key).kind.value, position=position)
        versions.save_section(section, f"Sección {key}", paragraph(rng), check=False)
        db.session.add(section)
    db.session.flush()
    versions.publish(old, None)
    new = versions.new_version(model, "v2", "Dos", "", None, old)
    sections = versions.sections_of(new)
    for index, section in enumerate(sections):
        if index % 3 == 0:
            words = section.body_source.split()
            for _ in range(8):
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            versions.save_section(section, section.title, " ".join(words), check=False)
        if index % 20 == 5:
            section.title += " (revisado)"
    for section in sections[-3:]:
        db.session.delete(section)
    sections[10].position, sections[40].position = sections[40].position, sections[10].position
    sections[60].position = 1000
    for n in range(3):
        extra = Section(version_id=new.id, key=f"nuevo-{n}", kind="free", position=500 + n)
        versions.save_section(extra, f"Nueva {n}", paragraph(rng), check=False)
        db.session.add(extra)
    from consultations.revisions import services as revisions

    # The revision record explains every changed section before publishing.
    revisions.save_change(new, None, "Revisión", "", revisions.unexplained(new), editorial=True)
    versions.publish(new, None)
    db.session.commit()
    return old.id, new.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                "RATELIMIT_ENABLED": False,
            }
        )
        old_id, new_id = build(app)
        client = app.test_client()
        url = f"/consultations/versions/{old_id}/diff/{new_id}"

        from core.cache import cache

        # Compile the templates and open the connection (the reverse diff, then forget it).
        assert client.get(f"/consultations/versions/{new_id}/diff/{old_id}").status_code == 200
        cold, warm = [], []
        for _ in range(args.runs):
            cache.clear()
            cold.append(timed(client, url))
            warm.append(timed(client, url))
        size = len(client.get(url).data) // 1024
        print(f"diff of two 100-section versions ({size} KiB page), {args.runs} runs")
        report("cold (no diff memoised)", cold)
        report("warm (diffs memoised)", warm)


def timed(client, url) -> float:
    start = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return (time.perf_counter() - start) * 1000


def report(name: str, timings: list[float]) -> None:
    timings = sorted(timings)
    median = statistics.median(timings)
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    verdict = "ok" if median < TARGET_MS else "OVER"
    print(f"  {name:<26} median {median:6.1f} ms  p95 {p95:6.1f} ms  target < {TARGET_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
