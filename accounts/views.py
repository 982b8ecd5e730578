from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView

from . import services
from .forms import SignupForm


class SignupView(CreateView):
    form_class = SignupForm
    template_name = "accounts/signup.html"
    success_url = reverse_lazy("orders:list")

    def form_valid(self, form):
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
