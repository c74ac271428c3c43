"""Every trainee page under gunicorn beside the same app's /healthz, on SQLite and PostgreSQL,
with the goals of issue 22 beside each ratio.

    python bench/bench_trainee_pages.py [--db sqlite|postgres|both] [--seconds 3] [--rounds 2]
                                        [--connections 16]

Per engine: a throw-away database with the real course and the demo accounts
(``flask lms init --demo``), gunicorn with 2 sync workers on a free loopback port, the demo
trainee logged in through a real POST /login and the pre-test started through the app's own
routes. Each round loads /healthz and then every page for ``--seconds`` with the same client
(wrk when installed, otherwise keep-alive Python threads); the ratio page / healthz is taken
within a round and the median over rounds is printed. SQL statements per page are counted
in-process by a SQLAlchemy event listener. Ratios are printed, never asserted: the exit code
is non-zero only when a page does not answer 200.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    COURSE,
    count_statements,
    load_client,
    load_header,
    longest_lesson,
    measure,
    running_site,
)

#: page name -> goal as a fraction of /healthz (issue 22)
GOALS = {"lesson": 0.40, "dashboard": 0.25, "course": 0.25, "attempt": 0.30, "search": 0.30}
PG_WITHIN = 0.15  #: PostgreSQL's ratio at most 15 % below SQLite's
SEARCH = "控辍"


def trainee_paths(site) -> dict[str, str]:
    lesson = longest_lesson(site.env)
    paths = {
        "lesson": f"/courses/{COURSE}/lessons/{lesson}",
        "dashboard": "/",
        "course": f"/courses/{COURSE}",
        "attempt": site.start_quiz("pre-test"),
        "search": f"/courses/{COURSE}/search?q={quote(SEARCH)}",
    }
    for path in paths.values():
        site.get_ok(path)
    return paths


def run_engine(engine: str, args) -> dict:
    started = time.monotonic()
    with running_site(engine) as site:
        site.login()
        paths = trainee_paths(site)
        statements = count_statements(site, {"healthz": "/healthz", **paths})
        results = measure(site, paths, args.seconds, args.rounds, args.connections)
    client, _load = load_client()
    print(
        f"\n## Trainee pages on {engine}: gunicorn 2 sync workers, {client}, {args.connections} connections, "
        f"{args.seconds:g} s per page, median of {args.rounds} rounds; {load_header()}"
    )
    print("| page | path | req/s | ÷ healthz | goal | met | SQL statements |")
    print("|---|---|---:|---:|---:|---|---:|")
    bare = results["healthz"][0]
    print(f"| healthz | /healthz | {bare:,.0f} | 1.000 | | | {statements['healthz']} |")
    for name, path in paths.items():
        rate, ratio = results[name]
        goal = GOALS[name]
        met = "yes" if ratio >= goal else "no"
        print(f"| {name} | {path} | {rate:,.0f} | {ratio:.3f} | ≥ {goal:.2f} | {met} | {statements[name]} |")
    print(f"({engine} took {time.monotonic() - started:.0f} s)", flush=True)
    return {name: ratio for name, (_rate, ratio) in results.items()}


def compare(sqlite: dict, postgres: dict) -> None:
    print(f"\n## PostgreSQL beside SQLite (goal: PostgreSQL's ratio within {PG_WITHIN:.0%} of SQLite's)")
    print("| page | SQLite ÷ healthz | PostgreSQL ÷ healthz | PostgreSQL / SQLite | goal | met |")
    print("|---|---:|---:|---:|---:|---|")
    for name in GOALS:
        if not sqlite[name]:  # no answer finished within --seconds: too short for this machine
            print(f"| {name} | {sqlite[name]:.3f} | {postgres[name]:.3f} | n/a | ≥ {1 - PG_WITHIN:.2f} | n/a |")
            continue
        relative = postgres[name] / sqlite[name]
        met = "yes" if relative >= 1 - PG_WITHIN else "no"
        print(
            f"| {name} | {sqlite[name]:.3f} | {postgres[name]:.3f} | {relative:.2f} | ≥ {1 - PG_WITHIN:.2f} | {met} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    print(f"# Trainee pages ÷ /healthz; {load_header()} at start")
    engines = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    ratios = {engine: run_engine(engine, args) for engine in engines}
    if len(ratios) == 2:
        compare(ratios["sqlite"], ratios["postgres"])


if __name__ == "__main__":
    main()
