from decimal import Decimal
from urllib.parse import urlparse

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.forms import ExpectedStatusForm, MoneyField
from common.renditions import PreparedImage, prepare_image
from common.uploads import ACCEPT
from ledger.models import money

from .models import Marketplace, Order, ProductCategory

MARKETPLACE_HOSTS = {
    "taobao.com": Marketplace.TAOBAO,
    "tmall.com": Marketplace.TAOBAO,
    "weidian.com": Marketplace.WEIDIAN,
    "1688.com": Marketplace.ALIBABA_1688,
}


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


def _listing_help() -> str:
    limit = settings.LISTING_IMAGES_MAX
    return ngettext(
        "Screenshots of the listing (photos, size chart), to compare with the QC photos later: "
        "JPEG, PNG or WebP, up to %(count)d image.",
        "Screenshots of the listing (photos, size chart), to compare with the QC photos later: "
        "JPEG, PNG or WebP, up to %(count)d images.",
        limit,
    ) % {"count": limit}


# Formatted when shown, in the language of that request (see tickets.forms.attachments_help).
listing_help = lazy(_listing_help, str)


class ListingImagesField(forms.FileField):
    """Several images in one input; cleans to the checked images with their renditions made
    (PreparedImage), every refused file named in the errors."""

    widget = MultipleImageInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Screenshots of the listing"))
        kwargs.setdefault("help_text", listing_help())
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ACCEPT)

    def clean(self, data, initial=None) -> list[PreparedImage]:
        uploads = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        limit = settings.LISTING_IMAGES_MAX
        if len(uploads) > limit:
            raise ValidationError(
                ngettext("Attach at most %(count)d image.", "Attach at most %(count)d images.", limit)
                % {"count": limit},
                code="too_many",
            )
        prepared: list[PreparedImage] = []
        errors: list[str] = []
        for upload in uploads:
            try:
                image = prepare_image(super().clean(upload, initial))
            except ValidationError as error:
                errors.extend(error.messages)
                continue
            if any(image.sha256 == other.sha256 for other in prepared):
                errors.append(_("“%(name)s” was chosen twice.") % {"name": image.name})
            else:
                prepared.append(image)
        if errors:
            raise ValidationError(errors)
        return prepared


class ListingImagesForm(forms.Form):
    """Listing images added later: the shopper's on the order page, the purchaser's in the admin."""

    images = ListingImagesField(required=True, label=_("Add listing images"))


MAX_QUANTITY = 999


class PlaceOrderForm(forms.ModelForm):
    # A bare "item.taobao.com/..." means https (Django 6's default, chosen explicitly here).
    product_url = forms.URLField(label=_("Marketplace URL"), max_length=1000, assume_scheme="https")
    unit_price = MoneyField(label=capfirst(Order._meta.get_field("unit_price").verbose_name), allow_zero=False)
    quantity = forms.IntegerField(
        label=capfirst(Order._meta.get_field("quantity").verbose_name),
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        error_messages={
            "min_value": _("Order at least 1 item."),
            "max_value": _("At most %(limit_value)s items per order."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    domestic_shipping = MoneyField(label=capfirst(Order._meta.get_field("domestic_shipping").verbose_name))
    listing_images = ListingImagesField()
    # The total the page showed when "Place and pay" was pressed (site's order-total.js keeps it
    # up to date as the shopper types): nothing is charged unless it is what the order costs.
    # Empty without JavaScript: the page then shows the total and asks again.
    expected_total = MoneyField(widget=forms.HiddenInput, required=False)

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
            "remark": _("Anything the buyer should know."),
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

    def total(self) -> Decimal:
        """What the order costs, as the server counts it (the model's Order.total)."""
        data = self.cleaned_data
        return money(data["unit_price"] * data["quantity"] + data["domestic_shipping"])

    def order_values(self) -> dict:
        """The order's fields, and its listing images (`listing_images`) for the service."""
        values = {**self.cleaned_data, "marketplace": self.marketplace}
        del values["expected_total"]
        return values

    def with_total_shown(self) -> "PlaceOrderForm":
        """The same form, bound again with the total it is about to show in `expected_total`."""
        data = self.data.copy()
        data["expected_total"] = str(self.total())
        return PlaceOrderForm(data)


class PayForm(ExpectedStatusForm):
    """The Pay button: the total it showed, so that nothing is charged if the amounts changed."""

    expected_total = MoneyField(widget=forms.HiddenInput, required=False)


class StaffTransitionForm(ExpectedStatusForm):
    """A staff button of the order admin and what its transition may need; the service checks
    the values (a tracking number's shape, a price)."""

    tracking = forms.CharField(required=False)
    note = forms.CharField(required=False)
    price = MoneyField(label=_("Confirmed new unit price (CNY)"), required=False, allow_zero=False)
    amount = MoneyField(label=_("Amount (CNY)"), required=False, allow_zero=False)
    # Sent by the confirmation page of a button that moves money: the amount it showed.
    expected_credit = MoneyField(widget=forms.HiddenInput, required=False, signed=True)
