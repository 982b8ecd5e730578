from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views import i18n
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, UpdateView

from . import services
from .forms import AccountSettingsForm, SignupForm, TimeZoneForm


class SignupView(CreateView):
    form_class = SignupForm
    template_name = "accounts/signup.html"
    success_url = reverse_lazy("orders:list")

    def form_valid(self, form):
        # The language the person signed up in is the one their emails are written in.
        form.instance.language = (
            translation.get_language() if translation.get_language() in dict(settings.LANGUAGES) else ""
        )
        response = super().form_valid(form)
        login(self.request, self.object, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, _("Welcome! Your account is ready."))
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, and a completed reset lifts a login lock on the account."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_logins_unlock(user=form.user)
        return response


class AccountSettingsView(LoginRequiredMixin, UpdateView):
    form_class = AccountSettingsForm
    template_name = "accounts/settings.html"
    success_url = reverse_lazy("account_settings")

    def get_object(self, queryset=None):
        return self.request.user

    def form_valid(self, form):
        response = super().form_valid(form)
        language = self.object.language
        if language:
            # This browser keeps the choice after logging out too, as with the switch.
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        messages.success(self.request, _("Your settings are saved."))
        return response


def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie and the redirect back), and a signed-in person's choice
    is saved on them: their next login, on any browser, and their emails use it."""
    response = i18n.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        services.user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response


@require_POST
@login_required
def time_zone_detected(request: HttpRequest) -> HttpResponse:
    """The zone the browser reports, saved once for a person who has none (timezone.js)."""
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("This is not a time zone we know."))
    services.user_time_zone_detected(user=request.user, time_zone=form.cleaned_data["time_zone"])
    return HttpResponse(status=204)
