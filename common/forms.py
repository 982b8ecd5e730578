import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class ExpectedStatusForm(forms.Form):
    """A button that changes something: the status the page showed when it was pressed, so that a
    page gone stale meanwhile is refused as changed meanwhile. Like every form field, it refuses
    what PostgreSQL could not store (a NUL character)."""

    expected_status = forms.CharField(required=False)

    def expected_status_or_none(self) -> str | None:
        return self.cleaned_data["expected_status"] or None


# An amount as people type it: ASCII digits, then at most two decimals after one point.
_AMOUNT = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]+)(?:\.(?P<cents>[0-9]{1,2}))?", re.ASCII)
_SEPARATORS = re.compile(r"[0-9][,'’_ \u00a0\u202f][0-9]")


class MoneyField(forms.Field):
    """An amount of CNY typed by a person, read strictly; every way in which money enters the
    site (shopper forms, hidden quote totals, staff forms) goes through it.

    Accepted: "139", "139.5", "139.50", with spaces around. Refused, each with a message that
    says what to type: exponents ("1e999999"), NaN and infinities, more than two decimals, more
    than `max_whole_digits` digits before the point, digits other than 0-9 ("١٢٣", "１２"),
    thousands separators ("1,000"), spaces or anything else inside the number. Signs: by default
    the amount may not be negative ("-0" included); `signed=True` takes "+" and "-" (and reads
    "-0" as 0). `allow_zero=False` refuses 0. The value is a Decimal with two places.
    """

    widget = forms.TextInput
    default_error_messages = {
        "invalid": _("Enter an amount in yuan, like 139 or 139.50."),
        "digits": _("Type the amount with the digits 0–9."),
        "separators": _("Type the amount without thousands separators or spaces, like 1000.00."),
        "decimals": _("An amount has at most two digits after the point (fen)."),
        "too_large": _("This amount is too large: at most %(limit)s digits before the point."),
        "negative": _("Enter an amount of zero or more, without a minus sign."),
        "zero": _("Enter an amount other than zero."),
    }

    def __init__(self, *, signed: bool = False, allow_zero: bool = True, max_whole_digits: int = 10, **kwargs):
        self.signed, self.allow_zero, self.max_whole_digits = signed, allow_zero, max_whole_digits
        super().__init__(**kwargs)

    def widget_attrs(self, widget) -> dict:
        attrs = super().widget_attrs(widget)
        if not widget.is_hidden:
            attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        return attrs

    def to_python(self, value) -> Decimal | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if text in self.empty_values:
            return None
        match = _AMOUNT.fullmatch(text)
        if match is None:
            raise forms.ValidationError(self.error_messages[self._why_not(text)], code="invalid")
        sign, whole, cents = match["sign"], match["whole"], match["cents"] or ""
        if len(whole.lstrip("0")) > self.max_whole_digits:
            raise forms.ValidationError(
                self.error_messages["too_large"], code="too_large", params={"limit": self.max_whole_digits}
            )
        amount = Decimal(f"{whole}.{cents.ljust(2, '0')}")
        if sign and not self.signed:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")
        if sign == "-" and amount:
            amount = -amount
        if not amount and not self.allow_zero:
            raise forms.ValidationError(self.error_messages["zero"], code="zero")
        return amount

    def _why_not(self, text: str) -> str:
        if any(char.isdigit() and char not in "0123456789" for char in text):
            return "digits"
        if _SEPARATORS.search(text):
            return "separators"
        if re.fullmatch(r"[+-]?[0-9]+\.[0-9]{3,}", text, re.ASCII):
            return "decimals"
        return "invalid"
