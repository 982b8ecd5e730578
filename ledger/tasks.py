import logging

from celery import shared_task

from common.tasks import RETRY_TRANSIENT, RUN_AGAIN_IF_LOST

from .selectors import ledger_violations

logger = logging.getLogger(__name__)


@shared_task(**RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST)  # reads only
def check_ledger() -> int:
    """Beat job: the same check as `manage.py ledger_check`; violations are logged as errors."""
    problems = ledger_violations()
    for problem in problems:
        logger.error("Ledger violation: %s", problem)
    return len(problems)
