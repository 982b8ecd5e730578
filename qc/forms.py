"""The forms of the inspection page and of its small JSON endpoints: each reads one request's
input and refuses what does not fit with a message the inspector can act on."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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
