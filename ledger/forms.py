import secrets

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from common.forms import MoneyField


class BalanceChangeForm(forms.Form):
    """Staff: record a top-up or a signed adjustment, with a mandatory reason."""

    KIND_CHOICES = [("topup", _("Top-up (money received)")), ("adjustment", _("Adjustment (+ or −)"))]

    shopper = forms.EmailField(label=_("Shopper's email"))
    kind = forms.ChoiceField(label=_("What"), choices=KIND_CHOICES)
    amount = MoneyField(label=_("Amount (CNY)"), signed=True, allow_zero=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    token = forms.CharField(widget=forms.HiddenInput, initial=secrets.token_urlsafe, max_length=64)
    # Set by the confirmation page, which shows the amount, the shopper and the balance after.
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == "topup" and data.get("amount") is not None and data["amount"] < 0:
            self.add_error("amount", MoneyField.default_error_messages["negative"])
        return data

    def clean_shopper(self):
        user = get_user_model().objects.filter(email__iexact=self.cleaned_data["shopper"], is_staff=False).first()
        if user is None:
            raise forms.ValidationError(_("No shopper has this email address."))
        return user
