"""Sign-in throttling that slows password guessing without locking the real user out.

Failures are counted per remote address, per account and per trusted device, each in a sliding window. A few
failures are free; after that each further attempt must wait, the wait doubling with every failure up to a cap.
A refused attempt is refused *before* the password is checked, so a flood costs a dictionary look-up per request, not
a KDF run (~0.1 s of CPU each).

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
from dataclasses import dataclass, field

WINDOW_S = 15 * 60
MAX_TRACKED = 50_000
KDF_CONCURRENCY = 1
KDF_WAIT_S = 3.0
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


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go ahead: `wait_s` is 0 when it may; `blocked_by` names the counters that hold it."""

    wait_s: float
    blocked_by: tuple[str, ...] = ()


class LoginThrottle:
    """Failure counters of one server process (bounded in size)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self.kdf_slots = threading.BoundedSemaphore(KDF_CONCURRENCY)

    @staticmethod
    def keys(address: str | None, account: str, device: str | None) -> list[tuple[tuple[str, str], Policy]]:
        """The counters an attempt is judged by: a browser trusted for the account (its signed device cookie) by its
        own failures alone, so that strangers failing from the same address (an office behind one NAT) never hold
        it back; any other by the address and the account."""
        if device:
            return [(("device", device), DEVICE_POLICY)]
        return [(("address", address or "-"), ADDRESS_POLICY), (("account", account.casefold()), ACCOUNT_POLICY)]

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        entry = self._failures.get(key)
        if entry is None:
            return []
        entry.times = [t for t in entry.times if now - t < WINDOW_S]
        if not entry.times:
            del self._failures[key]
            return []
        return entry.times

    def check(self, address: str | None, account: str, device: str | None) -> Verdict:
        """How long this attempt must still wait (0: it may go ahead), and which counters hold it back."""
        now = self.clock()
        wait, blocked = 0.0, []
        with self._lock:
            for key, policy in self.keys(address, account, device):
                times = self._recent(key, now)
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
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = _Failures(times)
                self._failures.move_to_end(key)
                if policy.wait_after(len(times)) > 0 and policy.wait_after(len(times) - 1) == 0:
                    throttled.append(key[0])
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)
        return tuple(throttled)

    def succeeded(self, account: str, device: str | None) -> None:
        """A correct password: the account's (or device's) failures are forgotten; the address's are not, or one
        known password would let an attacker reset its counter between guesses at other accounts."""
        with self._lock:
            self._failures.pop(("account", account.casefold()), None)
            if device:
                self._failures.pop(("device", device), None)

    def tracked(self) -> Iterable[tuple[str, str]]:
        """The counters held (tests)."""
        with self._lock:
            return list(self._failures)
