"""Ingest a 100,000-row census return and compare it with a bare calamine read of the same file, in one run.

    ./dev bench ingest [--rows 100000] [--repeat 3] [--naive-repeat 1] [--national 100000,300000]
                       [--code DIR] [--workdir var/bench]

Prints (and appends to benchmarks/RESULTS.md) medians of `--repeat` runs with their min-max:

- command line: `archive-census ingest census` in a fresh process vs a bare read in a fresh process (time; peak RSS of
  the largest process, and of the command with its reader worker together);
- warm process (the web upload worker): the ingestion vs a bare read in the same process, interleaved;
- a rejected return (1 row in 1,000 broken) with its annotated report vs the accepted one, warm;
- the naive path (openpyxl read + pandas + GX with Data Docs) vs the bare read;
- with `--national`, whole national loads (32 registers then 32 returns through the ingestion flow, one process).

`--code DIR` measures another checkout's code (e.g. a worktree of the commit before a change) with the same probes:
its directory goes first on PYTHONPATH. The generated workbooks are kept in `--workdir` and reused.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import TreePeak, peak_rss_mib

PROBE = Path(__file__).with_name("probe.py")
CREATE_WAREHOUSE = (
    "import sys\nfrom pathlib import Path\nfrom warehouse.backends import EmbeddedWarehouse\n"
    "with EmbeddedWarehouse(Path(sys.argv[1])).writer():\n    pass\n"
)
PROVINCE = "440000"
TARGETS = {"cli": 2.5, "warm": 1.3, "rejected": 1.5, "memory": 1.5}


def write_return(folder: Path, rows: int, broken_every: int | None) -> Path:
    """A synthetic Guangdong return of `rows` holders (kept and reused); every n-th row made to break vol_total_sum."""
    path = folder / f"census-{rows}-{'bad' if broken_every else 'good'}.xlsx"
    if path.exists():
        return path
    from census_schema.census_form import CENSUS_FORM
    from synthetic.census import generate_province_rows, write_census_return

    dataset = generate_province_rows(PROVINCE, rows, seed=7)
    values = [list(row) for row in dataset.census.iter_rows()]
    if broken_every:
        column = CENSUS_FORM.field_names.index("vol_total")
        for row in values[::broken_every]:
            row[column] = int(row[column]) + 1
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.xlsx")
    # The whole census workbook: main sheet, red-archive inventory and foot.
    write_census_return(partial, dataset, values)
    partial.rename(path)
    return path


# On Linux a process's kernel peak (`wait4`, `getrusage`) starts from the size of the process that forked it: exec
# carries the old memory's high-water mark over. A harness that generated a 100,000-row workbook itself would floor
# every process it measures at its own ~430 MiB, so it writes its inputs in another process and stays small.
def written_apart(write: Callable[..., Path], *args: Any) -> Path:
    """`write(*args)` in a fresh process; its result."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(write, *args).result()


def write_national(folder: Path, units: int) -> Path:
    """The registers and returns of a national dataset of `units` holders, without injected errors (kept)."""
    target = folder / f"national-{units}"
    if (target / "manifest.json").exists():
        return target
    from synthetic.census import generate_national_dataset, write_dataset

    shutil.rmtree(target, ignore_errors=True)
    write_dataset(generate_national_dataset(units, seed=2024), target, inject_errors=0)
    return target


@dataclass(frozen=True)
class Finished:
    """A command's wall seconds, peak RSS of its largest process, peak summed RSS of all its processes, stdout."""

    seconds: float
    peak_mib: float
    tree_peak_mib: float
    stdout: str


def run_process(command: Sequence[str], env: dict[str, str]) -> Finished:
    """Run a command in a fresh process (in the measured checkout, so that `python -m` finds its modules first).

    The largest process's peak is the kernel's (`wait4`); all processes together (the command and its reader
    worker) are sampled every 20 ms, so a shorter spike can be missed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=env["PYTHONPATH"].split(os.pathsep)[0])
        with TreePeak(process.pid) as tree:
            _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode()
        if process.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {err.read().decode()[-2000:]}")
    return Finished(seconds, usage.ru_maxrss / 1024, max(tree.peak_mib, usage.ru_maxrss / 1024), stdout)


def probe(env: dict[str, str], *args: str) -> tuple[Finished, dict[str, Any]]:
    """Run benchmarks/probe.py in a fresh process: how it ran and its JSON."""
    finished = run_process([sys.executable, str(PROBE), *args], env)
    return finished, json.loads(finished.stdout.strip().splitlines()[-1])


def stats(values: Sequence[float]) -> str:
    """Median with min-max."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def ratio_line(name: str, target: float | None, ratios: Sequence[float], detail: str) -> str:
    """One table row: the median ratio with its range, the target and whether the median meets it."""
    median = statistics.median(ratios)
    verdict = "" if target is None else ("met" if median <= target else "not met")
    bound = f"≤ {target}" if target is not None else "—"
    return f"| {name} | {stats(ratios)} | {bound} | {verdict} | {detail} |"


def measure(args: argparse.Namespace, env: dict[str, str], folder: Path, work: Path) -> list[str]:
    """The comparison table's rows and the raw figures under it."""
    good, bad = (
        written_apart(write_return, folder, args.rows, None),
        written_apart(write_return, folder, args.rows, 1000),
    )
    lines = ["| measure | ratio median (min–max) | target | | details (seconds or MiB: median (min–max)) |"]
    lines.append("|---|---|---|---|---|")
    # Command line: a bare read and an ingest, each in a fresh process, alternated so they share the load.
    bare_s, bare_mib, cli_s, cli_mib, cli_tree_mib = [], [], [], [], []
    for i in range(args.repeat):
        bare, _ = probe(env, "bare", str(good))
        bare_s.append(bare.seconds)
        bare_mib.append(bare.peak_mib)
        if peak_rss_mib() > 0.8 * bare.peak_mib:
            raise RuntimeError(
                f"the harness ({peak_rss_mib():.0f} MiB) floors the bare read's peak ({bare.peak_mib:.0f} MiB)"
            )
        db = work / f"cli-{i}" / "warehouse.duckdb"
        # The warehouse exists already, as it does for a user: its creation is not part of an ingest (read commands
        # no longer create one, so it is made as `serve` and `users add` make it).
        run_process([sys.executable, "-c", CREATE_WAREHOUSE, str(db)], env)
        command = [sys.executable, "-m", "cli.main", "ingest", "census", str(good), "--province", PROVINCE]
        ingest = run_process([*command, "--db", str(db), "--json"], env)
        assert json.loads(ingest.stdout)["status"] == "accepted", ingest.stdout[:500]
        cli_s.append(ingest.seconds)
        cli_mib.append(ingest.peak_mib)
        cli_tree_mib.append(ingest.tree_peak_mib)
    lines.append(
        ratio_line(
            "command line, fresh processes: `ingest census` / bare read",
            TARGETS["cli"],
            [c / b for c, b in zip(cli_s, bare_s, strict=True)],
            f"ingest {stats(cli_s)} s, bare read {stats(bare_s)} s",
        )
    )
    lines.append(
        ratio_line(
            "peak memory, fresh processes: `ingest census` / bare read",
            TARGETS["memory"],
            [c / b for c, b in zip(cli_mib, bare_mib, strict=True)],
            f"ingest {stats(cli_mib)} MiB, bare read {stats(bare_mib)} MiB",
        )
    )
    lines.append(
        ratio_line(
            "peak memory, all processes of `ingest census` together (its reader worker too; sampled) / bare read",
            TARGETS["memory"],
            [c / b for c, b in zip(cli_tree_mib, bare_mib, strict=True)],
            f"ingest {stats(cli_tree_mib)} MiB, bare read {stats(bare_mib)} MiB",
        )
    )
    warm_run, warm = probe(env, "warm", str(good), str(bad), str(work / "warm"), str(args.repeat))
    accepted = [run["seconds"] for run in warm["accepted"]]
    rejected = [run["seconds"] for run in warm["rejected"]]
    assert {run["status"] for run in warm["accepted"]} == {"accepted"}, warm["accepted"]
    assert {run["status"] for run in warm["rejected"]} == {"rejected"}, warm["rejected"]
    lines.append(
        ratio_line(
            "warm process (web upload path): ingestion / bare read, same process",
            TARGETS["warm"],
            [a / b for a, b in zip(accepted, warm["bare"], strict=True)],
            f"ingestion {stats(accepted)} s, bare read {stats(warm['bare'])} s",
        )
    )
    errors = warm["rejected"][0]["errors"]
    lines.append(
        ratio_line(
            f"rejected return ({errors} errors) with its annotated report / accepted, warm",
            TARGETS["rejected"],
            [r / a for r, a in zip(rejected, accepted, strict=True)],
            f"rejected {stats(rejected)} s, accepted {stats(accepted)} s",
        )
    )
    naive_s, naive_mib = [], []
    for _ in range(args.naive_repeat):
        naive, result = probe(env, "naive", str(good), str(work))
        naive_s.append(result["seconds"])
        naive_mib.append(naive.peak_mib)
    if naive_s:
        bare_median = statistics.median(bare_s)
        lines.append(
            ratio_line(
                "naive path (openpyxl + pandas + GX with Data Docs) / bare read",
                None,
                [n / bare_median for n in naive_s],
                f"naive {stats(naive_s)} s, {stats(naive_mib)} MiB; runs: {len(naive_s)}",
            )
        )
    stages = {
        name: [run["stages"].get(name, 0.0) for run in warm["accepted"]] for name in warm["accepted"][0]["stages"]
    }
    lines += [
        "",
        "Warm ingestion of the accepted return by stage (s): "
        + ", ".join(f"{k} {stats(v)}" for k, v in stages.items()),
    ]
    lines.append(
        f"Warm process peak RSS {warm_run.peak_mib:.0f} MiB, with its reader worker {warm_run.tree_peak_mib:.0f} MiB "
        "(all its runs)."
    )
    return lines


def measure_national(args: argparse.Namespace, env: dict[str, str], folder: Path) -> list[str]:
    """Whole national loads at each size: time, peak memory and growth from the smallest."""
    lines = [
        "",
        "| national load | census rows | seconds | s per 100k rows | peak RSS MiB | statuses |",
        "|---|---|---|---|---|---|",
    ]
    first: tuple[int, float] | None = None
    for units in args.national:
        target = written_apart(write_national, folder, units)
        shutil.rmtree(target / "run", ignore_errors=True)
        national, result = probe(env, "national", str(target))
        rows, seconds = result["census_rows"], result["seconds"]
        first = first or (rows, seconds)
        lines.append(
            f"| {units:,} holders, 32 registers + 32 returns | {rows:,} | {seconds:.1f} | "
            f"{seconds / rows * 100_000:.1f} | {national.peak_mib:.0f} | {result['statuses']} |"
        )
    if first and len(args.national) > 1:
        lines.append(f"Growth: time × {seconds / first[1]:.2f} for rows × {rows / first[0]:.2f}.")
    return lines


def main(argv: list[str] | None = None) -> str:
    """Run the benchmark; the markdown result."""
    parser = argparse.ArgumentParser(prog="bench ingest")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-repeat", type=int, default=1, help="the naive path takes minutes: 0 skips it")
    parser.add_argument("--national", type=lambda text: [int(x) for x in text.split(",") if x], default=[])
    parser.add_argument("--code", type=Path, help="measure this checkout's code instead of this one's")
    parser.add_argument("--workdir", type=Path, default=Path("var") / "bench")
    parser.add_argument("--skip-return", action="store_true", help="only the national loads")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_CENSUS_")}
    env |= {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    code = (args.code or Path(__file__).resolve().parent.parent).resolve()
    env["PYTHONPATH"] = os.pathsep.join([str(code), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    folder = args.workdir.resolve()
    head = [
        f"Code: `{code}` ({_commit(code)}). Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"load average at start {os.getloadavg()[0]:.1f} (shared machine: figures are noisy; ratios are taken "
        f"between runs made side by side). Return: {args.rows:,} generated holders.",
        "",
    ]
    tail = [
        "",
        f"The harness's own peak: {peak_rss_mib():.0f} MiB (no process it started can report a lower peak).",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        body = [] if args.skip_return else measure(args, env, folder, work)
        body += measure_national(args, env, folder) if args.national else []
    return "\n".join(head + body + tail) + "\n"


def _commit(code: Path) -> str:
    found = subprocess.run(["git", "-C", str(code), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    return found.stdout.strip()[:80] or "not a git checkout"
