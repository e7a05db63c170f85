"""`python -m benchmarks NAME [options]`: run one benchmark and append its result to benchmarks/RESULTS.md."""

from __future__ import annotations

import importlib
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS = ("ingest", "pages", "checks_engine", "reader_worker", "login_flood", "rush")
RESULTS = Path(__file__).with_name("RESULTS.md")


def main() -> int:
    """Dispatch to benchmarks.<name>.main and record its markdown."""
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        sys.stderr.write(f"usage: python -m benchmarks {{{'|'.join(BENCHMARKS)}}} [options]\n")
        return 2
    name, options = sys.argv[1], sys.argv[2:]
    result = importlib.import_module(f"benchmarks.{name}").main(options)
    if not isinstance(result, str):  # a benchmark that prints its own report returns an exit code
        return int(result)
    stamp = f"## {name} — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_version()}, {' '.join(options) or 'defaults'}\n\n"
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(stamp + result + "\n")
    print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
