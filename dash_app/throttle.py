"""Sign-in throttling that slows password guessing without locking the real user out.

Failures are counted per remote address, per account and per trusted device, each in a sliding window. A few
failures are free; after that each further attempt must wait, the wait doubling with every failure up to a cap.
A refused attempt is refused *before* the password is checked, so a flood costs a look-up of its counters per request
(in the file the server processes share, `dash_app.webstate.SharedFailures`), not a KDF run (~0.1 s of CPU each).
The counts survive a restart and are the same for every process serving the app: neither gives a guesser a fresh
allowance.

The account counter only applies to browsers that have never signed in to that account. A successful sign-in gives
the browser a signed device cookie for the account (OWASP's "device cookie" defence); attempts that present one are
counted on that device alone. So a stranger's failures slow strangers: the real user, on a browser they have used
before, still signs in at once. And at most `KDF_CONCURRENCY` password checks run at a time, so even a flood from
many addresses leaves the other CPU core to the dashboard.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

WINDOW_S = 15 * 60
MAX_TRACKED = 50_000
KDF_CONCURRENCY = 1
# How long a sign-in waits for the password check's slot before 503 服务器繁忙. A check takes ~0.1 s on a quiet machine,
# 0.5–1 s while an upload is read in the same process: at 3 s, three of six users signing in at once were refused
# (2026-12-07). The check itself stays one at a time (the other core stays the dashboard's).
KDF_WAIT_S = 10.0
LOGIN_THROTTLE = "archive_census_login_throttle"  # the key of a server's throttle in its Flask `extensions`


@dataclass(frozen=True)
class Policy:
    """Free failures, then waits doubling from `first_wait_s` up to `max_wait_s`."""

    free_failures: int
    first_wait_s: float
    max_wait_s: float

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after the last of `failures` failures."""
        if failures < self.free_failures:
            return 0.0
        return min(self.first_wait_s * 2 ** (failures - self.free_failures), self.max_wait_s)


# A shared office address (NAT) carries many users' typos: more free failures, shorter waits.
ADDRESS_POLICY = Policy(free_failures=10, first_wait_s=1.0, max_wait_s=15 * 60)
ACCOUNT_POLICY = Policy(free_failures=5, first_wait_s=30.0, max_wait_s=15 * 60)
DEVICE_POLICY = Policy(free_failures=5, first_wait_s=5.0, max_wait_s=5 * 60)


# A counter: (what it counts by, whose): ("address", "10.0.0.1"), ("account", "zhang"), ("device", "…").
Counter = tuple[str, str]


class FailureLog(Protocol):
    """Where failed attempts are kept: this process's memory, or a file every server process shares
    (`dash_app.webstate.SharedFailures`, what the app uses: a restart or a second process starts from the same
    counts)."""

    def recent(self, counter: Counter, since: float) -> list[float]:
        """The times of the counter's failures after `since`, oldest first."""
        ...

    def add(self, counter: Counter, at: float) -> None:
        """Keep one failure."""
        ...

    def forget(self, counter: Counter) -> None:
        """Drop the counter's failures."""
        ...

    def tracked(self) -> list[Counter]:
        """The counters held (tests)."""
        ...


class MemoryFailures:
    """Failures kept in this process (bounded in size: the oldest counters go first)."""

    def __init__(self) -> None:
        self._failures: OrderedDict[Counter, list[float]] = OrderedDict()

    def recent(self, counter: Counter, since: float) -> list[float]:
        times = [t for t in self._failures.get(counter, []) if t > since]
        if times:
            self._failures[counter] = times
        else:
            self._failures.pop(counter, None)
        return list(times)

    def add(self, counter: Counter, at: float) -> None:
        self._failures.setdefault(counter, []).append(at)
        self._failures.move_to_end(counter)
        while len(self._failures) > MAX_TRACKED:
            self._failures.popitem(last=False)

    def forget(self, counter: Counter) -> None:
        self._failures.pop(counter, None)

    def tracked(self) -> list[Counter]:
        return list(self._failures)


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go ahead: `wait_s` is 0 when it may; `blocked_by` names the counters that hold it."""

    wait_s: float
    blocked_by: tuple[str, ...] = ()


class LoginThrottle:
    """Failure counters, kept in a failure log (this process's memory unless another is given); the clock is the
    wall clock, so that processes sharing a log agree on times."""

    def __init__(self, clock: Callable[[], float] = time.time, failures: FailureLog | None = None) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self.failures: FailureLog = failures if failures is not None else MemoryFailures()
        self.kdf_slots = threading.BoundedSemaphore(KDF_CONCURRENCY)

    @staticmethod
    def keys(address: str | None, account: str, device: str | None) -> list[tuple[Counter, Policy]]:
        """The counters an attempt is judged by: a browser trusted for the account (its signed device cookie) by its
        own failures alone, so that strangers failing from the same address (an office behind one NAT) never hold
        it back; any other by the address and the account."""
        if device:
            return [(("device", device), DEVICE_POLICY)]
        return [(("address", address or "-"), ADDRESS_POLICY), (("account", account.casefold()), ACCOUNT_POLICY)]

    def check(self, address: str | None, account: str, device: str | None) -> Verdict:
        """How long this attempt must still wait (0: it may go ahead), and which counters hold it back."""
        now = self.clock()
        wait, blocked = 0.0, []
        with self._lock:
            for key, policy in self.keys(address, account, device):
                times = self.failures.recent(key, now - WINDOW_S)
                remaining = times[-1] + policy.wait_after(len(times)) - now if times else 0.0
                if remaining > 0:
                    wait = max(wait, remaining)
                    blocked.append(key[0])
        return Verdict(wait, tuple(blocked))

    def failed(self, address: str | None, account: str, device: str | None) -> tuple[str, ...]:
        """Count a failed attempt; returns the counters it has just made wait (for the audit log)."""
        now = self.clock()
        throttled = []
        with self._lock:
            for key, policy in self.keys(address, account, device):
                count = len(self.failures.recent(key, now - WINDOW_S)) + 1
                self.failures.add(key, now)
                if policy.wait_after(count) > 0 and policy.wait_after(count - 1) == 0:
                    throttled.append(key[0])
        return tuple(throttled)

    def succeeded(self, account: str, device: str | None) -> None:
        """A correct password: the account's (or device's) failures are forgotten; the address's are not, or one
        known password would let an attacker reset its counter between guesses at other accounts."""
        with self._lock:
            self.failures.forget(("account", account.casefold()))
            if device:
                self.failures.forget(("device", device))

    def tracked(self) -> Iterable[Counter]:
        """The counters held (tests)."""
        with self._lock:
            return self.failures.tracked()
