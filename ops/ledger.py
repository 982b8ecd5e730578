"""The periodic ledger check and its last result, kept where every node can read it.

The result lives in the shared cache (Redis in production, see the README): the beat job runs
on a worker, the metrics are read by a web process. Without a shared cache (`make run`'s
per-process memory cache) a web process simply never sees a result.
"""

import logging
import time
from typing import TypedDict

from django.core.cache import cache

# The one place ops reaches the ledger: the periodic check, its metric and the restore drill.
from ledger.selectors import ledger_violations

logger = logging.getLogger(__name__)

__all__ = ["LedgerCheckResult", "ledger_check_last", "ledger_check_run", "ledger_violations"]

CACHE_KEY = "ops:ledger-check"


class LedgerCheckResult(TypedDict):
    ran_at: float  # Unix time
    violations: int


def ledger_check_run() -> LedgerCheckResult:
    """Run the ledger check, log each violation as an error, and keep the result."""
    problems = ledger_violations()
    for problem in problems:
        logger.error("Ledger violation: %s", problem)
    result = LedgerCheckResult(ran_at=time.time(), violations=len(problems))
    cache.set(CACHE_KEY, result, timeout=None)
    return result


def ledger_check_last() -> LedgerCheckResult | None:
    return cache.get(CACHE_KEY)
