"""The fuzz harness itself: a reader that aborts or hangs is reported, not missed."""

from __future__ import annotations

from tests.fuzz._check import Worker, problems


def test_abort_is_reported_and_the_worker_restarts(worker: Worker) -> None:
    result = worker.run({"reader": "_abort", "path": ""})
    assert result["outcome"] == "crash"
    assert problems(result, None, "raise")[0].startswith("process died")
    again = worker.run({"reader": "_unknown", "path": ""})
    assert again["outcome"] == "error" and again["type"] == "ValueError"


def test_hang_is_reported(worker: Worker) -> None:
    worker.run({"reader": "_unknown", "path": ""})  # warm: imports done
    result = worker.run({"reader": "_sleep", "path": "", "kwargs": {"seconds": 30}}, timeout=1)
    assert result["outcome"] == "hang"
    assert problems(result, None, "raise") == ["no answer within 1 s"]
