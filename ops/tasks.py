from celery import shared_task

from .ledger import ledger_check_run


@shared_task
def check_ledger() -> int:
    """Beat job: the same check as `manage.py ledger_check`; the result feeds the metrics."""
    return ledger_check_run()["violations"]
