import secrets
from urllib.parse import urlparse

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cssbuy_qc.forms import MoneyField
from orders.models import Marketplace, Order

MARKETPLACE_HOSTS = {
    "taobao.com": Marketplace.TAOBAO,
    "tmall.com": Marketplace.TAOBAO,
    "weidian.com": Marketplace.WEIDIAN,
    "1688.com": Marketplace.ALIBABA_1688,
}


class PlaceOrderForm(forms.ModelForm):
    # A bare "item.taobao.com/..." means https (Django 6's default, chosen explicitly here).
    product_url = forms.URLField(label=_("marketplace URL"), max_length=1000, assume_scheme="https")
    unit_price = MoneyField(label=capfirst(Order._meta.get_field("unit_price").verbose_name), allow_zero=False)
    domestic_shipping = MoneyField(label=capfirst(Order._meta.get_field("domestic_shipping").verbose_name))

    class Meta:
        model = Order
        fields = [
            "product_url",
            "product_title",
            "option_text",
            "unit_price",
            "quantity",
            "domestic_shipping",
            "remark",
        ]
        widgets = {"remark": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"remark": _("Anything the buyer should know (optional).")}

    def clean_product_title(self) -> str:
        return " ".join(self.cleaned_data["product_title"].split())

    def clean_option_text(self) -> str:
        return " ".join(self.cleaned_data["option_text"].split())

    def clean_product_url(self) -> str:
        url = self.cleaned_data["product_url"]
        host = (urlparse(url).hostname or "").lower()
        self.marketplace = next(
            (market for domain, market in MARKETPLACE_HOSTS.items() if host == domain or host.endswith("." + domain)),
            Marketplace.OTHER,
        )
        return url

    def order_values(self) -> dict:
        return {**self.cleaned_data, "marketplace": self.marketplace}


class PayForm(forms.Form):
    """The Pay button sends the total it showed (hidden); without one, the status check holds."""

    expected_total = MoneyField(widget=forms.HiddenInput, required=False)


class ReturnForm(forms.Form):
    expected_total = MoneyField(widget=forms.HiddenInput)
    expected_status = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Anything to add? (optional)"),
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
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected_status = forms.CharField(widget=forms.HiddenInput)
    # Signed: a cheaper new option is a credit.
    expected_total = MoneyField(widget=forms.HiddenInput, required=False, signed=True)


class BalanceChangeForm(forms.Form):
    """Staff: record a top-up or a signed adjustment, with a mandatory reason."""

    KIND_CHOICES = [("topup", _("Top-up (money received)")), ("adjustment", _("Adjustment (+ or −)"))]

    shopper = forms.EmailField(label=_("Shopper's email"))
    kind = forms.ChoiceField(label=_("What"), choices=KIND_CHOICES)
    amount = MoneyField(label=_("Amount (CNY)"), signed=True, allow_zero=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == "topup" and data.get("amount") is not None and data["amount"] < 0:
            self.add_error("amount", MoneyField.default_error_messages["negative"])
        return data

    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    token = forms.CharField(widget=forms.HiddenInput, initial=secrets.token_urlsafe, max_length=64)

    def clean_shopper(self):
        user = get_user_model().objects.filter(email__iexact=self.cleaned_data["shopper"], is_staff=False).first()
        if user is None:
            raise forms.ValidationError(_("No shopper has this email address."))
        return user
