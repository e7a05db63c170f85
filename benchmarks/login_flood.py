"""Dashboard callback latency while the sign-in form is flooded with wrong passwords (issue 10, finding 5: a flood
slowed callbacks from 11 ms to 477 ms).

The app runs as `archive-census serve` in its own process, as deployed; this process signs in a planner, then times
one callback (the overview's map and cards) alone and again while flooding threads post wrong passwords for random
user names: from one address, then from many (X-Forwarded-For, with the server told it sits behind one proxy).

Run: `./dev bench login_flood [--seconds S] [--threads T] [--server-root DIR]`. `--server-root` serves another
checkout's code with this environment (PYTHONPATH), e.g. `git worktree add /tmp/before <commit>` to measure the code
before a change. A server that does not understand the proxy header sees every flood request from 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.measure import median_and_p95
from benchmarks.pages import CALLBACKS, callback_payload

PASSWORD = "Benchmark-password-1"
OWN_PASSWORD = "Benchmark-own-password-2"
ORIGIN_HEADERS = {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers={**headers, "Host": f"127.0.0.1:{port}"})
        response = connection.getresponse()
        response.read()
        return response.status, response
    finally:
        connection.close()


def sign_in(port: int, user: str) -> str:
    """The session cookie of a fresh sign-in."""
    body = f"username={user}&password={PASSWORD}".encode()
    headers = {**ORIGIN_HEADERS, "Content-Type": "application/x-www-form-urlencoded"}
    headers["Origin"] = f"http://127.0.0.1:{port}"
    status, response = request(port, "POST", "/login", body, headers)
    assert status == 302, status
    cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") if c.startswith("session=")]
    return cookies[0]


def replace_password(port: int, cookie: str) -> str:
    """The session cookie once the planner has replaced the password `users add` set, as its first sign-in asks
    (until then every callback is refused)."""
    body = urllib.parse.urlencode({"current": PASSWORD, "new": OWN_PASSWORD, "repeat": OWN_PASSWORD}).encode()
    headers = {**ORIGIN_HEADERS, "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    headers["Origin"] = f"http://127.0.0.1:{port}"
    status, response = request(port, "POST", "/password", body, headers)
    assert status == 302, status
    return next(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") if c.startswith("session="))


def time_callback(port: int, cookie: str, repeat: int) -> list[float]:
    """Seconds per request of the overview's map-and-cards callback."""
    _, _, outputs, inputs = CALLBACKS[0]
    body = json.dumps(callback_payload(outputs, inputs)).encode()
    headers = {**ORIGIN_HEADERS, "Origin": f"http://127.0.0.1:{port}", "Content-Type": "application/json"}
    headers["Cookie"] = cookie
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        status, _ = request(port, "POST", "/_dash-update-component", body, headers)
        samples.append(time.perf_counter() - started)
        assert status == 200, status
    return samples


def flood(port: int, stop: threading.Event, many_addresses: bool, statuses: Counter[int]) -> None:
    """Post wrong passwords for random user names until stopped."""
    rng = random.Random()
    while not stop.is_set():
        headers = {**ORIGIN_HEADERS, "Origin": f"http://127.0.0.1:{port}"}
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        if many_addresses:
            headers["X-Forwarded-For"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        body = f"username=user{rng.randrange(10**6)}&password=wrong-{rng.randrange(10**6)}".encode()
        try:
            status, _ = request(port, "POST", "/login", body, headers)
        except OSError:
            status = 0
        statuses[status] += 1


def phase(port: int, cookie: str, threads: int, seconds: float, many: bool) -> tuple[list[float], Counter[int]]:
    stop, statuses = threading.Event(), Counter[int]()
    workers = [threading.Thread(target=flood, args=(port, stop, many, statuses), daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)  # let the flood build up
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples += time_callback(port, cookie, 1)
    stop.set()
    for worker in workers:
        worker.join(timeout=70)
    return samples, statuses


def main(argv: Sequence[str]) -> str:
    """Run the three phases; a markdown table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks login_flood")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--server-root", help="serve the code of this checkout instead (PYTHONPATH)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="login-flood-"))
    db = folder / "var" / "warehouse.duckdb"
    env = {**os.environ, "ARCHIVE_CENSUS_PROXY_HOPS": "1", "ARCHIVE_CENSUS_DB": str(db)}
    if args.server_root:
        env["PYTHONPATH"] = str(Path(args.server_root).resolve())
    cli = [sys.executable, "-m", "cli.main"]
    subprocess.run([*cli, "users", "add", "planner", "--role", "planner", "--password-stdin"], input=PASSWORD + "\n", text=True, env=env, cwd=folder, check=True, capture_output=True)  # fmt: skip
    port = free_port()
    # Started from the temporary folder: `python -m` puts the working directory first on sys.path.
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, cwd=folder, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(port, "GET", "/health", None, {})[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        cookie = replace_password(port, sign_in(port, "planner"))
        time_callback(port, cookie, 5)  # warm-up
        quiet = time_callback(port, cookie, 100)
        one, one_statuses = phase(port, cookie, args.threads, args.seconds, many=False)
        many, many_statuses = phase(port, cookie, args.threads, args.seconds, many=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)

    def row(name: str, samples: list[float], statuses: Counter[int] | None) -> str:
        median, p95 = median_and_p95(samples)
        answered = "" if statuses is None else ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
        rate = "" if statuses is None else f"{sum(statuses.values()) / args.seconds:.0f}"
        return f"| {name} | {len(samples)} | {median * 1000:.0f} | {p95 * 1000:.0f} | {rate} | {answered} |"

    code = args.server_root or "this checkout"
    lines = [
        f"Server code: {code}; {args.threads} flooding threads, {args.seconds:.0f} s per phase.",
        "",
        "| phase | callbacks timed | median ms | p95 ms | sign-in attempts/s | sign-in answers (HTTP status: count) |",
        "|---|---|---|---|---|---|",
        row("no flood", quiet, None),
        row("flood from one address", one, one_statuses),
        row("flood from many addresses", many, many_statuses),
    ]
    return "\n".join(lines) + "\n"
