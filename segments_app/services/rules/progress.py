"""How far a running evaluation got: its phase and the counts known so far, as a poll of the
API or of the Rule tab shows them before the evaluation's transaction commits."""

from __future__ import annotations

from typing import Any

from ...jobs.heartbeat import Heartbeat
from ...models import RuleEvaluation

#: what an evaluation is doing, in order (the progress' `phase`)
PHASES = ("counting", "adding", "removing", "dependants")
#: progress of the evaluations this process runs, by pk: what a poll in this process shows
#: when the database cannot show it yet (SQLite: the run holds the write lock to its commit)
_live: dict[int, dict[str, Any]] = {}


class Progress:
    """Reports how far an evaluation got: its phase, and the counts known so far (matched once
    counted, joined once added, left once removed). Written into the evaluation's `detail`
    from the heartbeat's own connection, so a poll sees it while the evaluation's transaction
    is still open (PostgreSQL), and kept in this process for polls on SQLite."""

    def __init__(self, heartbeat: Heartbeat | None, pk: int, detail: dict[str, Any]):
        self.heartbeat = heartbeat
        self.pk = pk
        self.detail = {key: value for key, value in detail.items() if key != "progress"}
        self.counts: dict[str, int] = {}

    def phase(self, phase: str, **counts: int) -> None:
        self.counts.update(counts)
        progress = {"phase": phase, **self.counts}
        _live[self.pk] = progress
        if self.heartbeat is not None:
            self.heartbeat.report(self.pk, {"detail": {**self.detail, "progress": progress}})

    def close(self) -> None:
        _live.pop(self.pk, None)


def progress_of(evaluation: RuleEvaluation) -> dict[str, Any] | None:
    """How far a running evaluation got ({phase, matched, joined, left} as known), or None."""
    if evaluation.state != "running":
        return None
    return _live.get(evaluation.pk) or (evaluation.detail or {}).get("progress")


def forget(pk: int) -> None:
    """The evaluation `pk` ended (done, failed or dropped): no progress to show."""
    _live.pop(pk, None)
