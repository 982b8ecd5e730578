from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.forms import ExpectedStatusForm, MoneyField


class PhotoRequestForm(ExpectedStatusForm):
    """The shopper's request for more photos or measurements, with the round and the price per
    photo the page showed and the page's one-time token (a second send makes no second request)."""

    note = forms.CharField(
        label=_("What do you want to see?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example “the stitching on the left sleeve” or “chest width”."),
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    inspection = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    expected_unit_fee = MoneyField(widget=forms.HiddenInput)

    # What the shopper typed, as opposed to what the page put in hidden fields.
    TYPED = ("note", "photos")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit is a setting, read when the form is made (tests change it).
        self.fields["photos"] = forms.IntegerField(
            label=_("How many photos or measurements?"), min_value=1, max_value=settings.EXTRA_PHOTO_MAX
        )
        self.order_fields(["note", "photos"])

    def typing_errors(self) -> list[str]:
        """The errors of what the shopper typed, each with its field's label."""
        return [f"{self.fields[name].label} {error}" for name in self.TYPED for error in self.errors.get(name, [])]


class PhotoRequestAnswerForm(forms.Form):
    """The inspector's note sent with the answer."""

    note = forms.CharField(
        label=_("Note for the shopper (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PhotoRequestMeasurementForm(forms.Form):
    name = forms.CharField(label=_("What"), max_length=100)
    listed_value = forms.DecimalField(label=_("Listed"), max_digits=10, decimal_places=2)
    measured_value = forms.DecimalField(label=_("Measured"), max_digits=10, decimal_places=2)
    unit = forms.CharField(label=_("Unit"), max_length=16, initial="cm")


class CompareForm(forms.Form):
    """The compare page's choices, from its query string; anything unreadable is left unchosen."""

    listing = forms.IntegerField(required=False, min_value=1)
    photo = forms.IntegerField(required=False, min_value=1)
    mode = forms.ChoiceField(required=False, choices=[("side", "side"), ("slider", "slider")])
