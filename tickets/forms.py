import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from .attachments import ACCEPT, CheckedFile, check_upload
from .models import MESSAGE_MAX_LENGTH, Category, Priority


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _attachments_help() -> str:
    limit = settings.TICKET_ATTACHMENTS_PER_MESSAGE
    return ngettext(
        "JPEG, PNG or WebP photos, or PDF files; up to %(count)d file.",
        "JPEG, PNG or WebP photos, or PDF files; up to %(count)d files.",
        limit,
    ) % {"count": limit}


# Formatted each time it is shown, in the language of that request: the forms' fields are
# built once, at import, where formatting a lazy string would freeze it in the default language.
attachments_help = lazy(_attachments_help, str)


class AttachmentsField(forms.FileField):
    """Several files in one input; cleans to the list of validated files (CheckedFile)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attach photos or a PDF"))
        kwargs.setdefault("help_text", attachments_help())
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ACCEPT)

    def clean(self, data, initial=None) -> list[CheckedFile]:
        uploads = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        limit = settings.TICKET_ATTACHMENTS_PER_MESSAGE
        if len(uploads) > limit:
            raise ValidationError(
                ngettext("Attach at most %(count)d file.", "Attach at most %(count)d files.", limit)
                % {"count": limit},
                code="too_many",
            )
        checked, errors = [], []
        for upload in uploads:
            try:
                checked.append(check_upload(super().clean(upload, initial)))
            except ValidationError as error:
                name = getattr(upload, "name", "")
                errors.extend(
                    message if name in message else _("“%(name)s”: %(problem)s") % {"name": name, "problem": message}
                    for message in error.messages
                )
        if errors:
            raise ValidationError(errors)
        return checked


def _body_field(label, rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": rows})
    )


class _MessageForm(forms.Form):
    body = _body_field(_("Message"))
    attachments = AttachmentsField()
    # One random key per rendered form: submitting the same form twice adds one message.
    client_key = forms.UUIDField(required=False, initial=uuid.uuid4, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("body") or "").strip() and not cleaned.get("attachments"):
            raise ValidationError(_("Write a message or attach a file."), code="empty")
        return cleaned


class ReplyForm(_MessageForm):
    body = _body_field(_("Your reply"))


class TicketOpenForm(_MessageForm):
    order = forms.ModelChoiceField(
        label=pgettext_lazy("shop order", "Order"),
        queryset=None,
        required=False,
        to_field_name="number",
        empty_label=_("Not about one order"),
    )
    category = forms.ChoiceField(label=_("What is it about?"), choices=Category.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = _body_field(_("Describe what you need"), rows=6)

    field_order = ["order", "category", "subject", "body", "attachments", "client_key"]

    def __init__(self, *args, orders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].queryset = orders
        self.fields["order"].label_from_instance = lambda order: f"{order.number} · {order.product_title}"


class SupportReplyForm(_MessageForm):
    PUBLIC, INTERNAL = "public", "internal"

    visibility = forms.ChoiceField(
        label=_("Send as"),
        choices=[(PUBLIC, _("Public reply to the shopper")), (INTERNAL, _("Internal note (staff only)"))],
        initial=PUBLIC,
        widget=forms.RadioSelect,
    )
    body = _body_field(_("Message"), rows=8)

    field_order = ["visibility", "body", "attachments", "client_key"]

    @property
    def is_internal(self) -> bool:
        return self.cleaned_data.get("visibility") == self.INTERNAL


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, choices=Priority.choices)
