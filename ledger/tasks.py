import logging

from celery import shared_task

from .selectors import ledger_violations

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)  # reads only
def check_ledger() -> int:
    """Beat job: the same check as `manage.py ledger_check`; violations are logged as errors."""
    problems = ledger_violations()
    for problem in problems:
        logger.error("Ledger violation: %s", problem)
    return len(problems)
