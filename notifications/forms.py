from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Event


class PreferencesForm(forms.Form):
    email_events = forms.MultipleChoiceField(
        label=_("Email me about"),
        choices=Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Everything always appears in your notifications here on the site."),
    )
