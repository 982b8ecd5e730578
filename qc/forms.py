"""The forms of the inspection page and of its small JSON endpoints, of the shopper's photo
requests and of the compare page: each reads one request's input and refuses what does not fit
with a message the person can act on."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.forms import ExpectedStatusForm, MoneyField
from orders.models import ProductCategory

from .models import MAX_WEIGHT_GRAMS, Inspection, QCPhoto, ShotListItem

CAPTION_LENGTH = QCPhoto._meta.get_field("caption").max_length
# More photos than a round ever has: a longer list is not a reordering but a mistake or worse.
MAX_PHOTOS_IN_ORDER = 500


class InspectionForm(forms.ModelForm):
    """The round's own fields, and the order's product category (which decides the shot list)."""

    category = forms.ChoiceField(label=_("Product category"), choices=ProductCategory.choices)

    class Meta:
        model = Inspection
        fields = ["public_note", "internal_note", "weight_grams"]
        widgets = {
            "public_note": forms.Textarea(attrs={"rows": 3, "cols": 40}),
            "internal_note": forms.Textarea(attrs={"rows": 2, "cols": 40}),
            "weight_grams": forms.NumberInput(
                attrs={"min": 1, "max": MAX_WEIGHT_GRAMS, "step": 1, "inputmode": "numeric", "class": "vIntegerField"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "category" in self.fields:
            self.fields["category"].initial = self.instance.order.category


class ShotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ShotListItem) -> str:
        return obj.name


class PhotoUploadForm(forms.Form):
    """What comes with an upload besides the files: one caption for all of them, and the shot
    they cover (a missing shot clicked on the page), or to tag each with the next missing shot."""

    caption = forms.CharField(required=False, max_length=CAPTION_LENGTH)
    shot = ShotChoiceField(queryset=ShotListItem.objects.filter(active=True), required=False)
    next_shot = forms.BooleanField(required=False)


class PhotoDescribeForm(forms.Form):
    caption = forms.CharField(required=False, max_length=CAPTION_LENGTH, strip=True)
    shot = ShotChoiceField(queryset=ShotListItem.objects.all(), required=False)


class IdListField(forms.Field):
    """Several `photo` values, each a photo id."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("Send the photos as a list of their numbers (ids)."),
        "too_many": _("That is more photos than a round has."),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if len(value) > MAX_PHOTOS_IN_ORDER:
            raise ValidationError(self.error_messages["too_many"], code="too_many")
        try:
            ids = [int(item) for item in value]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if any(photo_id < 1 or photo_id > 2**63 - 1 for photo_id in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class PhotoOrderForm(forms.Form):
    photo = IdListField(error_messages={"required": _("Send the photos in their new order.")})


class CategoryForm(forms.Form):
    category = forms.ChoiceField(choices=ProductCategory.choices)


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
