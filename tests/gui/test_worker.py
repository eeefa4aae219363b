"""The one way gui/ runs work off the GUI thread: order, batches, failures, busy."""

from __future__ import annotations

import threading

import pytest

from gui.worker import Put, Worker


def unexpected(exc: BaseException) -> None:
    pytest.fail(f"the job failed: {exc!r}")


def test_items_then_outcome_arrive_on_the_gui_thread_in_order(qtbot) -> None:
    worker = Worker()
    got: list[object] = []
    threads: set[int] = set()
    worked_on: list[int] = []

    def work(put: Put) -> str:
        worked_on.append(threading.get_ident())
        for i in range(100):
            put(i)
        return "done"

    def on_items(batch: list[object]) -> None:
        threads.add(threading.get_ident())
        got.extend(batch)

    def on_done(result: str) -> None:
        threads.add(threading.get_ident())
        got.append(result)

    worker.submit(work, on_done, unexpected, on_items)
    assert worker.busy
    qtbot.waitUntil(lambda: not worker.busy, timeout=3000)
    assert got == [*range(100), "done"]
    assert threads == {threading.get_ident()}
    assert worked_on and worked_on[0] != threading.get_ident()


def test_jobs_run_one_after_another_in_submission_order(qtbot) -> None:
    worker = Worker()
    release = threading.Event()
    order: list[str] = []

    def first(_put: Put) -> str:
        release.wait(5)
        return "first"

    worker.submit(first, order.append, unexpected)
    worker.submit(lambda _put: "second", order.append, unexpected)
    qtbot.wait(100)
    assert order == []  # the second waits for the first, though it is quicker
    release.set()
    qtbot.waitUntil(lambda: order == ["first", "second"], timeout=3000)
    assert not worker.busy
    assert worker.wait(1.0)  # the thread ends when there is no work


def test_a_failure_reaches_failed_and_the_next_job_still_runs(qtbot) -> None:
    worker = Worker()
    errors: list[BaseException] = []
    results: list[object] = []

    def broken(put: Put) -> None:
        put("before")
        raise OSError("disk gone")

    worker.submit(broken, results.append, errors.append, results.extend)
    worker.submit(lambda _put: "after", results.append, errors.append)
    qtbot.waitUntil(lambda: not worker.busy, timeout=3000)
    assert [str(e) for e in errors] == ["disk gone"]
    assert results == ["before", "after"]


def test_busy_until_the_outcome_has_been_delivered(qtbot) -> None:
    worker = Worker()
    seen_busy: list[bool] = []
    worker.submit(lambda _put: 1, lambda _r: seen_busy.append(worker.busy), unexpected)
    assert worker.wait(2.0)  # the job has run; its outcome waits for the GUI thread
    assert worker.busy
    qtbot.waitUntil(lambda: seen_busy != [], timeout=3000)
    assert seen_busy == [False]
