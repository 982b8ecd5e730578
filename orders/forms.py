from urllib.parse import urlparse

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from common.forms import ExpectedStatusForm, MoneyField

from .models import Marketplace, Order, ProductCategory

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
            "category",
            "unit_price",
            "quantity",
            "domestic_shipping",
            "remark",
        ]
        widgets = {"remark": forms.Textarea(attrs={"rows": 2})}
        labels = {"category": _("What kind of item is it?")}
        help_texts = {
            "remark": _("Anything the buyer should know (optional)."),
            "category": _("The warehouse takes the photos this kind of item needs."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not knowing is fine (and a form sent without it, from an older page): "other".
        self.fields["category"].required = False

    def clean_category(self) -> str:
        return self.cleaned_data["category"] or ProductCategory.OTHER

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


class PayForm(ExpectedStatusForm):
    """The Pay button: the total it showed, so that nothing is charged if the amounts changed."""

    expected_total = MoneyField(widget=forms.HiddenInput, required=False)


class StaffTransitionForm(ExpectedStatusForm):
    """A staff button of the order admin and what its transition may need; the service checks
    the values (a tracking number's shape, a price)."""

    tracking = forms.CharField(required=False)
    note = forms.CharField(required=False)
    price = MoneyField(label=_("Confirmed new unit price (CNY)"), required=False, allow_zero=False)
