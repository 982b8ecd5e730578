class QCError(Exception):
    """A QC action was refused; the message is fit to show the person who tried it."""
