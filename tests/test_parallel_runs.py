"""The suite's scheduler for parallel runs (tests/conftest.py): whole modules per worker, each unit's modules (the
demo's, the supervision demo's) together on one worker, the demo's sent first, and each worker runs exactly the tests
it was sent."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.conftest import pytest_xdist_make_scheduler

# In the order the workers collect them: a unit's modules are neither first nor next to each other.
COLLECTION = [
    "tests/a/test_one.py::test_a",
    "tests/dash_app/test_web_security.py::test_w",
    "tests/dash_app/test_browser.py::test_map",
    "tests/a/test_one.py::test_b[x::y]",
    "tests/b/test_two.py::test_c",
    "tests/flows/test_demo.py::test_manifest",
    "tests/b/test_two.py::test_d",
    "tests/dash_app/test_supervision_access.py::test_s",
    "tests/c/test_three.py::test_e",
]


class Worker:
    """What the scheduler sees of a worker: it is sent positions in its own collection."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.extend(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def test_workers_run_whole_modules_and_the_demo_first_on_one_worker():
    config: Any = SimpleNamespace(option=SimpleNamespace(loadscopereorder=True), getvalue=lambda name: ["3*popen"])
    scheduler = pytest_xdist_make_scheduler(config, None)
    workers = [Worker("gw0"), Worker("gw1"), Worker("gw2")]
    for worker in workers:
        scheduler.add_node(worker)
    for worker in workers:
        scheduler.add_node_collection(worker, list(COLLECTION))
    scheduler.schedule()
    done: set[tuple[str, int]] = set()
    while not all(w.shutting_down for w in workers):  # each worker reports the tests it was sent, in order
        for worker in workers:
            for index in list(worker.sent):
                if (worker.gateway.id, index) not in done:
                    done.add((worker.gateway.id, index))
                    scheduler.mark_test_complete(worker, index)
    ran = {w.gateway.id: [COLLECTION[i] for i in w.sent] for w in workers}
    assert sorted(ran["gw0"] + ran["gw1"] + ran["gw2"]) == sorted(COLLECTION)
    assert ran["gw0"][:2] == ["tests/dash_app/test_browser.py::test_map", "tests/flows/test_demo.py::test_manifest"]
    groups = {
        "a": ("tests/a/",),
        "b": ("tests/b/",),
        "c": ("tests/c/",),
        "demo": ("tests/dash_app/test_browser.py", "tests/flows/test_demo.py"),
        "supervision demo": ("tests/dash_app/test_web_security.py", "tests/dash_app/test_supervision_access.py"),
    }
    workers_of = {
        group: {w for w, tests in ran.items() for t in tests if t.startswith(prefixes)}
        for group, prefixes in groups.items()
    }
    assert all(len(names) == 1 for names in workers_of.values()), workers_of
