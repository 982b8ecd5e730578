import zoneinfo
from functools import lru_cache

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from common.locale import recipient_locale

from .models import User


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("display_name", "email")
        labels = {"display_name": _("Your name")}
        help_texts = {"display_name": _("How we greet you in emails and how our staff address you.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name = self.fields["display_name"]
        name.required = True
        name.widget.attrs.update({"autocomplete": "name", "autofocus": True})
        self.fields["email"].widget.attrs.pop("autofocus", None)

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("Please tell us your name."))
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email


class LoginForm(AuthenticationForm):
    """Django's login form, asking for the email address as one: phones show the email keyboard
    and browsers offer the saved address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget = forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone and not zone.startswith("Etc/"))
    return [(zone, zone.replace("_", " ")) for zone in zones]


class AccountSettingsForm(forms.ModelForm):
    """The person's own name, language and time zone."""

    class Meta:
        model = User
        fields = ("display_name", "language", "time_zone")
        labels = {"display_name": _("Your name")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True
        self.fields["display_name"].widget.attrs["autocomplete"] = "name"
        self.fields["language"].choices = [("", _("As my browser asks")), *self.fields["language"].choices[1:]]
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"),
            required=False,
            choices=[("", _("Detect from my browser")), *time_zone_choices()],
            help_text=_("Every time on the site and in our emails is shown in this zone."),
        )

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("Please tell us your name."))
        return name


class TimeZoneForm(forms.Form):
    """The zone a browser reports (`Intl.DateTimeFormat().resolvedOptions().timeZone`)."""

    time_zone = forms.CharField(max_length=64)

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data["time_zone"]
        if zone not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("“%(zone)s” is not a time zone we know."), params={"zone": zone})
        return zone


class LocalePasswordResetForm(PasswordResetForm):
    """Django's, with the email written in the account holder's language, whoever asked."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with recipient_locale(context["user"]):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
