"""Celery tasks: thin, they take a primary key and call a service.

``execute_run_task`` is sent by name to the run's queue (``RUN_QUEUE``, or ``RUN_GPU_QUEUE``
for GPU base environments), so only run workers (``celery worker -Q runs``) take it.
"""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def execute_run_task(run_id: int) -> None:
    services.execute_run(run_id)


@shared_task(ignore_result=True)
def reap_stale_runs_task() -> int:
    """Scheduled by Celery beat: no run or pipeline stays 'running' after its worker died."""
    return services.reap_stale_runs() + services.reap_stale_pipelines()


@shared_task(acks_late=True, ignore_result=True)
def execute_pipeline_task(pipeline_run_id: int) -> None:
    """A data pipeline's or visualization's steps, one after the other, on a run worker."""
    services.execute_pipeline(pipeline_run_id)
