"""Run every benchmark in bench/ (bench_*.py) one after another and print their reports.

    python bench/run_all.py [--db sqlite|postgres|both]

Each benchmark measures the project beside a baseline in the same run and prints the ratio.
``--db`` (default both) goes to the benchmarks that take it: as is to those that accept
``both``, once per engine to those that take one engine, not at all to the others.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGINES = ("sqlite", "postgres")


def runs(script: Path, db: str) -> list[list[str]]:
    """The argument lists to run ``script`` with for ``--db db``."""
    usage = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True).stdout
    if "--db" not in usage:
        return [[]]
    if db != "both" or "both" in usage:
        return [["--db", db]]
    return [["--db", engine] for engine in ENGINES]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=(*ENGINES, "both"), default="both")
    args = parser.parse_args()
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        for extra in runs(script, args.db):
            print(f"\n# {script.name} {' '.join(extra)}".rstrip(), flush=True)
            if subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent).returncode:
                failed.append(f"{script.name} {' '.join(extra)}".rstrip())
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
