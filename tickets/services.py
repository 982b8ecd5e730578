"""Support ticket operations. Each one runs in `ticket_locked` (one transaction, the ticket's row
read fresh and locked), applies the transition, saves, writes the message and the notification,
and returns the fresh row. Nothing else calls a transition and saves."""

import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from common import fsm
from common.errors import ActionRefused
from common.files import delete_stored_files
from common.locale import recipient_locale
from notifications.models import Event, Fact
from notifications.services import notify
from orders.models import Order

from .attachments import CheckedFile
from .models import MESSAGE_MAX_LENGTH, PERM_ANSWER, Attachment, Category, Message, Priority, Ticket

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
Status = Ticket.Status


class TicketActionError(ActionRefused):
    """A ticket action was refused; the message is fit to show the person who tried it."""


class TicketChangedMeanwhile(TicketActionError):
    pass


def transition_label(name: str) -> str:
    """The button label of a ticket transition, e.g. "Mark resolved"."""
    return fsm.transition_label(Ticket, name)


def _changed_meanwhile() -> TicketChangedMeanwhile:
    return TicketChangedMeanwhile(
        _("This ticket was changed by someone else meanwhile. Reload the page and check its status.")
    )


def _refusal(ticket: Ticket, name: str) -> TicketActionError:
    if ticket.status == Status.CLOSED and name in ("shopper_reply", "support_reply"):
        return TicketActionError(
            _("Ticket %(number)s is closed. Open a new ticket if you still need help.") % {"number": ticket.number}
        )
    if ticket.status == Status.RESOLVED and name == "resolve":
        return TicketActionError(_("Ticket %(number)s is already resolved.") % {"number": ticket.number})
    return TicketActionError(
        _("“%(action)s” is not possible while the ticket is “%(status)s”.")
        % {"action": transition_label(name), "status": ticket.get_status_display()}
    )


@contextmanager
def ticket_locked(ticket: Ticket) -> Iterator[Ticket]:
    """The unit of work of every ticket change: one transaction, in which the ticket's row is read
    fresh and locked until the block ends. Services return the row they changed; none calls
    `refresh_from_db()` (see common.fsm for why)."""
    try:
        with transaction.atomic():
            yield Ticket.objects.select_for_update().get(pk=ticket.pk)
    except ConcurrentTransition:
        raise _changed_meanwhile() from None


def _transition(
    locked: Ticket, name: str, *, by: "User | None", args: tuple = (), expected_status: str | None = None
) -> None:
    """Run transition `name` on a row from `ticket_locked` and save it, once `by` may (None is the
    system). A form made for another status is refused as changed meanwhile, except a second
    "Mark resolved", which is told the ticket is resolved already."""
    if expected_status and locked.status != expected_status:
        if locked.status == Status.RESOLVED and name == "resolve":
            raise _refusal(locked, name)
        raise _changed_meanwhile()
    method = getattr(locked, name)
    if not can_proceed(method):
        raise _refusal(locked, name)
    if by is not None and not has_transition_perm(method, by):
        raise TicketActionError(
            _("You are not allowed to do “%(action)s” on this ticket.") % {"action": transition_label(name)}
        )
    method(*args)
    locked.save()


def _is_support(user: "User") -> bool:
    return user.is_active and user.is_staff and user.has_perm(PERM_ANSWER)


def _store_files(message: Message, files: Sequence[CheckedFile], stored: list[str]) -> None:
    for checked in files:
        attachment = Attachment(
            message=message,
            kind=checked.kind,
            file_format=checked.file_format,
            content_type=checked.content_type,
            original_name=checked.original_name,
            size=len(checked.content),
            width=checked.width,
            height=checked.height,
            sha256=checked.sha256,
        )
        attachment.file.save(checked.original_name, ContentFile(checked.content), save=False)
        stored.append(attachment.file.name)
        attachment.save()


def _existing_message(author: "User", client_key: uuid.UUID | None) -> Message | None:
    if client_key is None:
        return None
    return Message.objects.select_related("ticket").filter(author=author, client_key=client_key).first()


def _same_form(existing: Message, ticket: Ticket) -> tuple[Ticket, Message]:
    """The ticket and message this form already added; a key reused on another ticket is refused."""
    if existing.ticket_id != ticket.pk:
        raise TicketActionError(_("This form was already sent. Reload the page and write your message again."))
    return existing.ticket, existing


def _check_message(body: str, files: Sequence[CheckedFile]) -> None:
    """What the forms check, checked again for every caller: a refusal, never a database error."""
    if len(body) > MESSAGE_MAX_LENGTH:
        raise TicketActionError(
            _("Shorten your message to at most %(limit)d characters; it has %(length)d.")
            % {"limit": MESSAGE_MAX_LENGTH, "length": len(body)}
        )
    limit = settings.TICKET_ATTACHMENTS_PER_MESSAGE
    if len(files) > limit:
        raise TicketActionError(
            ngettext("Attach at most %(count)d file.", "Attach at most %(count)d files.", limit) % {"count": limit}
        )


def _notify_shopper(ticket: Ticket, title: str, body: str) -> None:
    notify(user=ticket.shopper, event=Event.TICKET_REPLY, title=title, body=body, link=ticket.get_absolute_url())


def _confirm_opened(ticket: Ticket) -> None:
    """The shopper's receipt of a new ticket, written with it (a form sent twice opens one)."""
    with recipient_locale(ticket.shopper):
        facts: list[Fact] = [
            {"label": _("Ticket number"), "text": ticket.number},
            {"label": _("Subject"), "text": ticket.subject},
            {"label": _("We aim to answer by"), "at": ticket.first_response_due.isoformat()},
        ]
        notify(
            user=ticket.shopper,
            event=Event.TICKET_OPENED,
            title=_("We received your ticket %(number)s") % {"number": ticket.number},
            body=_("Our support team will answer on the ticket's page; we will tell you as soon as they reply."),
            link=ticket.get_absolute_url(),
            details={"facts": facts},
        )


# --- Shopper actions ------------------------------------------------------------------------


def ticket_open(
    *,
    shopper: "User",
    subject: str,
    body: str,
    category: str,
    order: Order | None = None,
    files: Sequence[CheckedFile] = (),
    client_key: uuid.UUID | None = None,
) -> Ticket:
    """Open a ticket with its first message; the first-response clock starts now.

    The same form submitted twice (same `client_key`) opens one ticket.
    """
    if order is not None and order.shopper_id != shopper.pk:
        raise TicketActionError(_("That order is not one of yours."))
    if not subject.strip() or not (body.strip() or files):
        raise TicketActionError(_("Give the ticket a subject and say what you need."))
    if category not in Category.values:
        raise TicketActionError(_("Choose what the ticket is about from the list."))
    subject_limit = Ticket._meta.get_field("subject").max_length
    if len(subject.strip()) > subject_limit:
        raise TicketActionError(_("Shorten the subject to at most %(limit)d characters.") % {"limit": subject_limit})
    _check_message(body.strip(), files)
    existing = _existing_message(shopper, client_key)
    if existing is not None:
        return existing.ticket
    stored: list[str] = []
    now = timezone.now()
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                shopper=shopper,
                order=order,
                category=category,
                subject=subject.strip(),
                opened_at=now,
                first_response_due=now + timedelta(hours=settings.TICKET_FIRST_RESPONSE_HOURS),
                last_message_at=now,
            )
            message = Message.objects.create(
                ticket=ticket, author=shopper, body=body.strip(), created_at=now, client_key=client_key
            )
            _store_files(message, files, stored)
            _confirm_opened(ticket)
    except IntegrityError:
        delete_stored_files(stored)
        existing = _existing_message(shopper, client_key)
        if existing is not None:  # the same form, submitted twice at the same moment
            return existing.ticket
        raise
    except Exception:
        delete_stored_files(stored)
        raise
    return ticket


def ticket_reply(
    *,
    ticket: Ticket,
    by: "User",
    body: str,
    files: Sequence[CheckedFile] = (),
    internal: bool = False,
    client_key: uuid.UUID | None = None,
) -> tuple[Ticket, Message]:
    """Add a message to the thread; return the fresh ticket and the message.

    The shopper's reply moves the ticket to awaiting support (reopening a resolved one). A public
    support reply moves it to awaiting the shopper, stops the first-response clock and notifies
    the shopper. An internal note changes no status and reaches no shopper.
    """
    body = (body or "").strip()
    if not body and not files:
        raise TicketActionError(_("Write a message or attach a file."))
    _check_message(body, files)
    by_shopper = by.pk == ticket.shopper_id
    if not by_shopper and not _is_support(by):
        raise TicketActionError(_("You are not allowed to reply to this ticket."))
    if internal and by_shopper:
        raise TicketActionError(_("Only support staff can write internal notes."))
    existing = _existing_message(by, client_key)
    if existing is not None:
        return _same_form(existing, ticket)
    stored: list[str] = []
    try:
        with ticket_locked(ticket) as locked:
            now = timezone.now()
            if not internal:
                locked.last_message_at = now
                if by_shopper:
                    _transition(locked, "shopper_reply", by=by)
                else:
                    _transition(locked, "support_reply", by=by, args=(now,))
            message = Message.objects.create(
                ticket=locked,
                author=by,
                by_staff=not by_shopper,
                body=body,
                is_internal=internal,
                created_at=now,
                client_key=client_key,
            )
            _store_files(message, files, stored)
            if not by_shopper and not internal:
                with recipient_locale(locked.shopper):
                    parts = [body] if body else []
                    if files:
                        parts.append(
                            ngettext("%(count)d file attached.", "%(count)d files attached.", len(files))
                            % {"count": len(files)}
                        )
                    _notify_shopper(
                        locked,
                        _("Support replied to your ticket %(number)s") % {"number": locked.number},
                        "\n\n".join(parts),
                    )
    except IntegrityError:
        delete_stored_files(stored)
        existing = _existing_message(by, client_key)
        if existing is not None:  # the same form, submitted twice at the same moment
            return _same_form(existing, ticket)
        raise
    except BaseException:
        delete_stored_files(stored)
        raise
    return locked, message


def ticket_resolve(*, ticket: Ticket, by: "User", expected_status: str | None = None) -> Ticket:
    """The shopper or support marks the ticket resolved; it closes itself after a quiet period."""
    with ticket_locked(ticket) as locked:
        _transition(locked, "resolve", by=by, args=(timezone.now(),), expected_status=expected_status)
        if by.pk != locked.shopper_id:
            with recipient_locale(locked.shopper):
                _notify_shopper(
                    locked,
                    _("Your ticket %(number)s is resolved") % {"number": locked.number},
                    _(
                        "We marked your ticket resolved. Reply within %(days)d days if you still need help; "
                        "after that it closes."
                    )
                    % {"days": settings.TICKET_AUTOCLOSE_DAYS},
                )
    return locked


# --- Support actions ------------------------------------------------------------------------


def ticket_close(*, ticket: Ticket, by: "User", expected_status: str | None = None) -> Ticket:
    with ticket_locked(ticket) as locked:
        _transition(locked, "close", by=by, args=(timezone.now(),), expected_status=expected_status)
    return locked


def ticket_reopen(*, ticket: Ticket, by: "User", expected_status: str | None = None) -> Ticket:
    with ticket_locked(ticket) as locked:
        _transition(locked, "reopen", by=by, expected_status=expected_status)
    return locked


def ticket_assign(*, ticket: Ticket, by: "User", assignee: "User | None") -> Ticket:
    """Give the ticket to a support agent (or to nobody, with `assignee=None`)."""
    if not _is_support(by):
        raise TicketActionError(_("You are not allowed to assign tickets."))
    if assignee is not None and not _is_support(assignee):
        raise TicketActionError(_("%(name)s is not on the support team, so cannot take tickets.") % {"name": assignee})
    with ticket_locked(ticket) as locked:
        locked.assignee = assignee
        locked.save(update_fields=["assignee"])
    return locked


def ticket_set_priority(*, ticket: Ticket, by: "User", priority: int) -> Ticket:
    if not _is_support(by):
        raise TicketActionError(_("You are not allowed to change the priority of tickets."))
    if priority not in Priority.values:
        raise TicketActionError(_("Choose a priority from the list."))
    with ticket_locked(ticket) as locked:
        locked.priority = priority
        locked.save(update_fields=["priority"])
    return locked


# The status buttons in the admin: transition name -> service.
STAFF_ACTIONS = {
    "resolve": ticket_resolve,
    "close": ticket_close,
    "reopen": ticket_reopen,
}


# --- System actions -------------------------------------------------------------------------


def ticket_autoclose_resolved() -> int:
    """Close tickets resolved `TICKET_AUTOCLOSE_DAYS` ago with no reply since; return how many.

    Safe to run twice or in two workers at once: each ticket is re-checked under its row lock.
    """
    cutoff = timezone.now() - timedelta(days=settings.TICKET_AUTOCLOSE_DAYS)
    candidates = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff).values_list("pk", flat=True)
    closed = 0
    for pk in list(candidates[:1000]):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Status.RESOLVED, resolved_at__lte=cutoff)
                .first()
            )
            if ticket is None:
                continue
            _transition(ticket, "auto_close", by=None, args=(timezone.now(),))
            closed += 1
    return closed
