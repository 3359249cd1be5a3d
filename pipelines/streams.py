"""A run's log and its metric points as live streams (see mlreef.streams)."""

from __future__ import annotations

from mlreef.streams.sources import StreamLine, StreamSource

from .models import FINAL_STATUSES, Metric, Run, RunLogLine

STATE_FIELDS = ("status", "failure_kind", "failure_reason", "exit_code", "cached_from")


class _RunState(StreamSource):
    def state(self, key: str) -> dict | None:
        return Run.objects.filter(pk=int(key)).values(*STATE_FIELDS).first()

    def is_final(self, state: dict) -> bool:
        return state["status"] in FINAL_STATUSES


class RunLogSource(_RunState):
    """Key: the run's primary key; lines are its log lines."""

    def lines_after(self, key: str, after: int, limit: int) -> list[StreamLine]:
        rows = RunLogLine.objects.filter(run_id=int(key), number__gt=after).order_by("number")
        return [StreamLine(row.number, row.as_json()) for row in rows[:limit]]


class RunMetricSource(_RunState):
    """Key: the run's primary key; each "line" is one metric point, numbered by its row."""

    def lines_after(self, key: str, after: int, limit: int) -> list[StreamLine]:
        rows = Metric.objects.filter(run_id=int(key), pk__gt=after).order_by("pk")[:limit]
        return [
            StreamLine(row.pk, {"key": row.key, "step": row.step, "value": row.value})
            for row in rows
        ]
