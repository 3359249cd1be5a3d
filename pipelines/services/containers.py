"""Run containers left behind by run workers that died.

A worker removes its run's container before the run ends, but a worker killed mid-run leaves
the container behind, still running: the engine does not know its worker is gone, the run's
time limit was the worker's to enforce, and the reaper (which fails the run) runs wherever
beat runs, not necessarily beside that engine. So each run worker sweeps its own engine: when
it starts, and on a schedule sent to its queue.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from ..models import Run
from ..runners import Runner, RunnerError, get_runner
from .experiments import reap_stale_runs

logger = logging.getLogger(__name__)


def sweep_run_containers(runner: Runner | None = None) -> int:
    """Remove the run containers on this engine whose run is over; returns how many.

    Only containers carrying the hub's run label and name prefix are looked at. One is removed
    when the run that recorded its name is final (after reaping, so a run whose worker died is
    failed first), or when no run recorded its name (deleted with its module, or another hub's
    sharing the engine) and it is older than any run may live (RUN_TIME_LIMIT_SECONDS plus
    RUN_HEARTBEAT_TIMEOUT), so a live run, ours or not, is never touched.
    """
    runner = runner or get_runner()
    containers = runner.run_containers()
    if not containers:
        return 0
    names = [container.name for container in containers]
    reap_stale_runs(Run.objects.filter(container_name__in=names))
    runs = {run.container_name: run for run in Run.objects.filter(container_name__in=names)}
    oldest = time.time() - settings.RUN_TIME_LIMIT_SECONDS - settings.RUN_HEARTBEAT_TIMEOUT
    removed = 0
    for container in containers:
        run = runs.get(container.name)
        if run is None and container.created >= oldest:
            continue  # maybe a live run of another hub on this engine
        if run is not None and not run.is_final:
            continue
        runner.remove_container(container.id)
        removed += 1
        owner = f"run {run.pk} ({run.status})" if run else "no run"
        logger.info("removed container %s left behind: %s", container.name, owner)
    return removed


def sweep_run_containers_here() -> int:
    """The sweep on this worker's engine; none when it has no engine (a web or build-only
    worker), which is not an error."""
    try:
        return sweep_run_containers()
    except RunnerError as error:
        logger.info("no run containers swept: %s", error)
        return 0
