from celery import shared_task

from common.tasks import RETRY_TRANSIENT, RUN_AGAIN_IF_LOST

from .ledger import ledger_check_run


@shared_task(**RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST)  # reads only
def check_ledger() -> int:
    """Beat job: the same check as `manage.py ledger_check`; the result feeds the metrics."""
    return ledger_check_run()["violations"]
