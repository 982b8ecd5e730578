from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class ReturnForm(forms.Form):
    expected_total = forms.DecimalField(widget=forms.HiddenInput, max_digits=14, decimal_places=2)
    expected_status = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExchangeForm(forms.Form):
    new_option = forms.CharField(label=_("New size or colour"), max_length=200)
    new_unit_price = forms.DecimalField(
        label=_("New unit price (CNY)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Only if the new option costs a different price."),
    )
    reason = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected_status = forms.CharField(widget=forms.HiddenInput)
    expected_total = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=14, decimal_places=2)
