from common.errors import ActionRefused


class QCError(ActionRefused):
    """A QC action was refused; the message is fit to show the person who tried it."""


class UnreadablePhoto(Exception):
    """The stored photo cannot be decoded or re-encoded: trying again cannot help."""
