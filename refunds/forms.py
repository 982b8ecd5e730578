from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import MoneyField


class ReturnForm(forms.Form):
    expected_total = MoneyField(widget=forms.HiddenInput)
    expected_status = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Anything to add?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExchangeForm(forms.Form):
    new_option = forms.CharField(label=_("New size or colour"), max_length=200)
    new_unit_price = MoneyField(
        label=_("New unit price (CNY)"),
        required=False,
        allow_zero=False,
        help_text=_("Only if the new option costs a different price."),
    )
    reason = forms.CharField(
        label=_("Anything to add?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected_status = forms.CharField(widget=forms.HiddenInput)
    # Signed: a cheaper new option is a credit.
    expected_total = MoneyField(widget=forms.HiddenInput, required=False, signed=True)


class DiscountForm(forms.Form):
    """Keep it at a discount: the amount the shopper asks back."""

    amount = MoneyField(label=_("Amount to ask back (CNY)"), allow_zero=False)
    reason = forms.CharField(
        label=_("Note for the seller (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected_status = forms.CharField(widget=forms.HiddenInput)


class CounterOfferForm(forms.Form):
    """Accepting the seller's counter-offer: the amount the page showed."""

    expected_amount = MoneyField(widget=forms.HiddenInput, allow_zero=False)
    expected_status = forms.CharField(widget=forms.HiddenInput)
