import logging

from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


def delete_stored_files(names: list[str]) -> None:
    """Remove stored files nothing refers to any more (written by a transaction that rolled back,
    or of a deleted row). A storage error is logged, not raised: the names are random."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.warning("Could not delete stored file %s", name, exc_info=True)
