"""Timing and peak-RSS sampling helpers for the benchmarks."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def current_rss_mib(pid: int | str = "self") -> float:
    """Resident set size of a process (this one by default), from /proc (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def process_tree_rss_mib(pid: int) -> float:
    """The RSS of a process and of all its descendants, summed (pages they share are counted in each)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            total += current_rss_mib(current)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    pending += [int(child) for child in children.read().split()]
        except OSError:  # the process ended meanwhile
            continue
    return total


class TreePeak:
    """The highest summed RSS of a process tree, sampled every 20 ms by a background thread while in the block."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreePeak:
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sampler.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_mib = max(self.peak_mib, process_tree_rss_mib(self.pid))


@dataclass
class StageMeter:
    """Wall time and peak RSS of named stages, sampled every 20 ms by a background thread."""

    seconds: dict[str, float] = field(default_factory=dict)
    peak_mib: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Measure one stage."""
        peak = [current_rss_mib()]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.02):
                peak[0] = max(peak[0], current_rss_mib())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - started
            stop.set()
            sampler.join()
            self.peak_mib[name] = max(peak[0], current_rss_mib())


def median_and_p95(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile of timing samples."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95
