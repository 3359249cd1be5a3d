"""Celery tasks: thin, they take a primary key and call a service.

``execute_run_task`` is sent by name to the run's queue (``RUN_QUEUE``, or ``RUN_GPU_QUEUE``
for GPU base environments), so only run workers (``celery worker -Q runs``) take it.
"""

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from . import services
from .services.artifacts import collect_garbage
from .services.containers import sweep_run_containers_here


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


@shared_task(ignore_result=True)
def sweep_run_containers_task() -> int:
    """Scheduled by Celery beat onto the run queues, so a run worker sweeps its own engine."""
    return sweep_run_containers_here()


@worker_ready.connect
def sweep_run_containers_at_start(sender=None, **_kwargs) -> None:
    """A worker killed mid-run leaves its container behind; the next start of a run worker on
    that engine removes it (workers that take no runs have no business with the engine)."""
    consumed = sender.app.amqp.queues.consume_from if sender is not None else None
    run_queues = {settings.RUN_QUEUE, settings.RUN_GPU_QUEUE}
    if consumed and run_queues & set(consumed):
        sweep_run_containers_here()


@shared_task(ignore_result=True)
def artifacts_gc_task() -> int:
    """Scheduled by Celery beat (daily): ``manage.py artifacts_gc`` with
    ARTIFACTS_GC_GRACE_SECONDS, so files of deleted runs do not stay on disk until someone runs
    it. Returns the bytes freed."""
    report = collect_garbage(settings.ARTIFACTS_GC_GRACE_SECONDS)
    return report.freed_bytes + report.incoming_freed_bytes
