"""Background tasks of the member registry (django.tasks; run by `manage.py db_worker`).

Each task only names the batch; the service checks the batch's state under a row lock
before doing anything, so a task that runs twice (or after a cancel) does nothing.
"""

from __future__ import annotations

from django.tasks import task


@task()
def analyse_import(batch_id: int) -> None:
    """Check every row of an uploaded import batch (dry run) for its preview."""
    from . import importing  # imported here: importing enqueues these tasks

    importing.analyse_import(batch_id)


@task()
def run_import(batch_id: int) -> None:
    """Import a confirmed batch: check every row again, then write in one transaction."""
    from . import importing

    importing.execute_import(batch_id)
