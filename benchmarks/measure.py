"""Timing and peak-RSS sampling helpers for the benchmarks."""

from __future__ import annotations

import os
import resource
import statistics
import threading


def current_rss_mib(pid: int | str = "self") -> float:
    """Resident set size of a process (this one by default), from /proc (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    """This process's peak RSS as the kernel keeps it: it starts from the size of the process that forked this one."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def median_and_p95(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile of timing samples."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95
