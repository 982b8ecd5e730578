from django import forms


class CompareForm(forms.Form):
    """The compare page's choices, from its query string; anything unreadable is left unchosen."""

    listing = forms.IntegerField(required=False, min_value=1)
    photo = forms.IntegerField(required=False, min_value=1)
    mode = forms.ChoiceField(required=False, choices=[("side", "side"), ("slider", "slider")])
