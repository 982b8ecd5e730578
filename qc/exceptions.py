from django.utils.translation import gettext as _

from common.errors import ActionRefused


class QCError(ActionRefused):
    """A QC action was refused; the message is fit to show the person who tried it."""


class MissingShots(QCError):
    """A verdict without every required shot, not confirmed by the inspector."""

    def __init__(self, shots: list) -> None:
        self.shots = shots
        super().__init__(
            _(
                "Not completed: required shots are missing (%(shots)s). Take them, or tick “Complete "
                "without the missing shots” and press Pass QC or Fail QC again."
            )
            % {"shots": ", ".join(shot.label for shot in shots)}
        )


class UnreadablePhoto(Exception):
    """The stored photo cannot be decoded or re-encoded: trying again cannot help."""
