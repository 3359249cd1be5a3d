"""Metrics a run reports: its ``experiment.json`` and JSON-object lines on stdout.

MLReef scripts wrote ``experiment.json`` in two shapes, both read here: an object keyed by
epoch (``{"0": {"acc": 0.5, "loss": 0.9}, …}``) or a list of objects carrying ``epoch``
(``[{"epoch": 0, "loss": 0.9}, …]``); the hub's own template nests the list under ``history``.
The file is re-read whenever it changes while the script runs, so a half-written file is normal:
it is skipped with a warning and read again on the next change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Metric, Run

EXPERIMENT_FILE = "experiment.json"
STEP_KEYS = ("epoch", "step")


class MetricsError(ValueError):
    """Not (yet) valid metrics; the message says what is wrong."""


def _numbers(record: dict) -> Iterator[tuple[str, float]]:
    for key, value in record.items():
        if key in STEP_KEYS or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value):
            yield str(key)[:200], float(value)


def _step(value, fallback: int) -> int:
    if isinstance(value, bool):
        return fallback
    if isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return fallback


def parse_experiment(data) -> list[tuple[str, int, float]]:
    """(key, step, value) triples from either MLReef format."""
    if isinstance(data, dict) and isinstance(data.get("history"), list):
        data = data["history"]
    points: list[tuple[str, int, float]] = []
    if isinstance(data, list):
        for index, record in enumerate(data):
            if isinstance(record, dict):
                step = _step(next((record[k] for k in STEP_KEYS if k in record), None), index)
                points += [(key, step, value) for key, value in _numbers(record)]
        return points
    if isinstance(data, dict):
        for epoch, record in data.items():
            step = _step(epoch, -1)
            if step < 0 or not isinstance(record, dict):
                continue
            points += [(key, step, value) for key, value in _numbers(record)]
        return points
    raise MetricsError("expected an object keyed by epoch or a list of objects with 'epoch'")


def read_experiment_file(path: Path) -> list[tuple[str, int, float]]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise MetricsError(f"not valid JSON yet ({error})") from None
    return parse_experiment(data)


def parse_stdout_line(line: str) -> dict | None:
    """A JSON object printed on a line of its own (``{"epoch": 3, "loss": 0.2}``), or None."""
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class MetricRecorder:
    """Stores a run's points once each: (run, key, step) is unique, re-reads add only news."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.seen: set[tuple[str, int]] = set(run.metrics.values_list("key", "step"))
        self.stdout_steps: dict[str, int] = {}

    def record(self, points: list[tuple[str, int, float]]) -> int:
        now = timezone.now()
        new = []
        for key, step, value in points:
            if (key, step) not in self.seen:
                self.seen.add((key, step))
                new.append(Metric(run=self.run, key=key, step=step, value=value, time=now))
        if new:
            try:
                with transaction.atomic():
                    Metric.objects.bulk_create(new)
            except IntegrityError:  # another writer stored some; keep what is missing
                Metric.objects.bulk_create(new, ignore_conflicts=True)
        return len(new)

    def record_stdout(self, data: dict) -> int:
        """A stdout object: its ``epoch``/``step`` or else the next step of each key."""
        explicit = next((data[k] for k in STEP_KEYS if k in data), None)
        points = []
        for key, value in _numbers(data):
            fallback = self.stdout_steps.get(key, -1) + 1
            step = _step(explicit, fallback) if explicit is not None else fallback
            self.stdout_steps[key] = step
            points.append((key, step, value))
        return self.record(points)


def summary(run: Run) -> dict[str, dict]:
    """Per key: the last value, the best (lowest for loss/error-like keys, else highest)."""
    result: dict[str, dict] = {}
    for metric in run.metrics.order_by("key", "step"):
        entry = result.setdefault(metric.key, {"final": None, "best": None, "steps": 0})
        entry["final"] = metric.value
        entry["steps"] += 1
        lower = any(word in metric.key.lower() for word in ("loss", "error", "err", "mse", "mae"))
        best = entry["best"]
        if best is None or (metric.value < best if lower else metric.value > best):
            entry["best"] = metric.value
    return result
