"""Sign-in throttling as a table of attempts on a fake clock: free failures, then doubling waits up to a cap, counted
per address and per account (or per trusted device), forgotten after the window; the same with the failures kept in
this process and in the file every server process shares (which a restart keeps)."""

from __future__ import annotations

import pytest

from dash_app.throttle import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    DEVICE_POLICY,
    MAX_TRACKED,
    WINDOW_S,
    FailureLog,
    LoginThrottle,
    MemoryFailures,
    Policy,
)
from dash_app.webstate import SharedFailures, WebState


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "shared"])
def log(request, tmp_path) -> FailureLog:
    """Where failures are kept: this process's memory, or the web state file the app's processes share."""
    return MemoryFailures() if request.param == "memory" else SharedFailures(WebState(tmp_path))


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (4, 0), (5, 30), (6, 60), (7, 120), (9, 480), (10, 900), (30, 900)],
)
def test_account_waits_double_after_the_free_failures_up_to_a_cap(failures, wait):
    assert ACCOUNT_POLICY.wait_after(failures) == wait


def test_the_policies_let_an_office_s_typos_through():
    assert ADDRESS_POLICY.free_failures > ACCOUNT_POLICY.free_failures  # a shared office address carries many users
    assert DEVICE_POLICY.max_wait_s < ACCOUNT_POLICY.max_wait_s
    assert Policy(2, 1.0, 3.0).wait_after(10) == 3.0


def test_a_stranger_is_held_back_and_the_trusted_device_is_not(log):
    clock = Clock()
    throttle = LoginThrottle(clock, log)
    for _ in range(ACCOUNT_POLICY.free_failures):
        assert throttle.check("10.0.0.2", "zhang", None).wait_s == 0
        throttle.failed("10.0.0.2", "zhang", None)
    held = throttle.check("10.0.0.2", "zhang", None)
    assert held.wait_s == 30 and held.blocked_by == ("account",)
    assert throttle.check("10.0.0.3", "Zhang", None).wait_s == 30  # names are compared case-insensitively
    assert throttle.check("10.0.0.1", "zhang", "device-of-zhang").wait_s == 0
    clock.now += 31
    assert throttle.check("10.0.0.2", "zhang", None).wait_s == 0


def test_strangers_failing_from_the_same_address_never_hold_back_a_trusted_device(log):
    # An office behind one address: 14 strangers' failures made the administrator, with the device cookie, wait.
    throttle = LoginThrottle(Clock(), log)
    for i in range(ADDRESS_POLICY.free_failures + 4):
        throttle.failed("10.0.0.8", f"stranger{i}", None)
    assert throttle.check("10.0.0.8", "newcomer", None).blocked_by == ("address",)
    assert throttle.check("10.0.0.8", "admin", "device-of-admin").wait_s == 0


def test_failures_are_forgotten_after_the_window_and_a_success_clears_the_account_not_the_address(log):
    clock = Clock()
    throttle = LoginThrottle(clock, log)
    for i in range(ADDRESS_POLICY.free_failures):
        throttle.failed("10.0.0.9", f"user{i % 2}", None)
    assert throttle.check("10.0.0.9", "someone-else", None).blocked_by == ("address",)
    throttle.succeeded("user0", None)
    assert throttle.check("10.0.0.9", "someone-else", None).wait_s > 0
    clock.now += WINDOW_S + 1
    assert throttle.check("10.0.0.9", "someone-else", None).wait_s == 0
    if isinstance(log, MemoryFailures):  # dropped as soon as read (the shared file prunes at the next failure)
        assert list(throttle.tracked()) == [] or all(k[0] != "address" for k in throttle.tracked())


def test_failed_reports_the_counters_it_has_just_made_wait(log):
    throttle = LoginThrottle(Clock(), log)
    reports = [throttle.failed("10.0.0.4", "li", None) for _ in range(ACCOUNT_POLICY.free_failures + 1)]
    assert reports[: ACCOUNT_POLICY.free_failures - 1] == [()] * (ACCOUNT_POLICY.free_failures - 1)
    assert reports[ACCOUNT_POLICY.free_failures - 1] == ("account",) and reports[-1] == ()


def test_the_counters_are_bounded(monkeypatch):
    monkeypatch.setattr("dash_app.throttle.MAX_TRACKED", 100)
    throttle = LoginThrottle(Clock())
    for i in range(500):
        throttle.failed(f"10.1.{i // 250}.{i % 250}", f"name{i}", None)
    assert len(list(throttle.tracked())) == 100 < MAX_TRACKED


def test_the_shared_counts_hold_for_every_server_process_and_across_a_restart(tmp_path):
    clock = Clock()
    one, other = (LoginThrottle(clock, SharedFailures(WebState(tmp_path))) for _ in range(2))
    for attempt in range(ACCOUNT_POLICY.free_failures):  # the guesses spread over two processes
        (one if attempt % 2 else other).failed(f"10.0.3.{attempt}", "wang", None)
    assert one.check("10.0.3.9", "wang", None).blocked_by == ("account",)
    restarted = LoginThrottle(clock, SharedFailures(WebState(tmp_path)))
    assert restarted.check("10.0.3.9", "wang", None).wait_s == 30
    restarted.succeeded("wang", None)
    assert other.check("10.0.3.9", "wang", None).wait_s == 0
    clock.now += WINDOW_S + 1  # the addresses' failures leave the window; the next failure prunes them
    other.failed("10.0.3.50", "zhao", None)
    assert sorted(other.tracked()) == [("account", "zhao"), ("address", "10.0.3.50")]
