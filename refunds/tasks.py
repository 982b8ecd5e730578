import logging

from celery import shared_task

from cssbuy_qc.celery import RETRY_TRANSIENT

from .selectors import ledger_violations

logger = logging.getLogger(__name__)


@shared_task(**RETRY_TRANSIENT)
def check_ledger() -> int:
    """Beat job: the same check as `manage.py ledger_check`; violations are logged as errors."""
    problems = ledger_violations()
    for problem in problems:
        logger.error("Ledger violation: %s", problem)
    return len(problems)
