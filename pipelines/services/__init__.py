"""Run workflows, one module per part:

- ``common``: error classes, the run log, the artifact store (shared by every kind of run);
- ``experiments``: start / run again / cancel / reap, on the web side;
- ``artifacts``: output files uploaded by run workers into the artifact store, and their
  garbage collection;
- ``runs``: executing one run on a run worker (the Celery task's body);
- ``containers``: removing the containers run workers that died left on their engine;
- ``data_pipelines``: data pipelines and visualizations on the web side (start, cache, commit);
- ``pipeline_runs``: executing their steps on a run worker;
- ``definitions``: saved pipelines as YAML in the dataset repository.

The names callers use are re-exported here, so ``from pipelines import services`` keeps working.
"""

from .artifacts import ArtifactRefused, store_artifact
from .common import RunError, RunLog, RunPlatformError, RunUserError, artifact_store
from .data_pipelines import (
    PipelineRequest,
    StepRequest,
    cancel_pipeline,
    finish_if_complete,
    reap_stale_pipelines,
    start_pipeline,
)
from .experiments import (
    WHERE_KINDS_BELONG,
    StartRequest,
    cancel_run,
    check_runnable,
    default_limits,
    image_by_digest,
    input_argument,
    reap_stale_runs,
    run_again,
    start_run,
)
from .pipeline_runs import execute_pipeline
from .runs import RunJob, execute_run

__all__ = [
    "WHERE_KINDS_BELONG",
    "ArtifactRefused",
    "PipelineRequest",
    "StepRequest",
    "cancel_pipeline",
    "execute_pipeline",
    "finish_if_complete",
    "reap_stale_pipelines",
    "start_pipeline",
    "RunError",
    "RunJob",
    "RunLog",
    "RunPlatformError",
    "RunUserError",
    "StartRequest",
    "artifact_store",
    "cancel_run",
    "check_runnable",
    "default_limits",
    "execute_run",
    "image_by_digest",
    "input_argument",
    "reap_stale_runs",
    "run_again",
    "start_run",
    "store_artifact",
]
