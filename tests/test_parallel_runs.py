"""The suite's scheduler for parallel runs (tests/conftest.py): whole modules per worker, the demo's modules together
on one worker and sent first, and each worker runs exactly the tests it was sent."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.conftest import pytest_xdist_make_scheduler

# In the order the workers collect them: the demo's modules are neither first nor next to each other.
COLLECTION = [
    "tests/a/test_one.py::test_a",
    "tests/dash_app/test_browser.py::test_map",
    "tests/a/test_one.py::test_b[x::y]",
    "tests/b/test_two.py::test_c",
    "tests/flows/test_demo.py::test_manifest",
    "tests/b/test_two.py::test_d",
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
    config: Any = SimpleNamespace(option=SimpleNamespace(loadscopereorder=True), getvalue=lambda name: ["2*popen"])
    scheduler = pytest_xdist_make_scheduler(config, None)
    workers = [Worker("gw0"), Worker("gw1")]
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
    assert sorted(ran["gw0"] + ran["gw1"]) == sorted(COLLECTION)
    assert ran["gw0"][:2] == ["tests/dash_app/test_browser.py::test_map", "tests/flows/test_demo.py::test_manifest"]
    folders = ("tests/a/", "tests/b/", "tests/c/", "tests/dash_app/", "tests/flows/")
    modules = {name: {w for w, tests in ran.items() for t in tests if t.startswith(name)} for name in folders}
    assert all(len(workers_of) == 1 for workers_of in modules.values()), modules
    assert modules["tests/dash_app/"] == modules["tests/flows/"]
