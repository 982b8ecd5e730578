from django.contrib.auth import views as auth_views
from django.urls import include, path

from .forms import LocalePasswordResetForm, LoginForm
from .views import AccountSettingsView, PasswordResetConfirmView, SignupView, time_zone_detected

urlpatterns = [
    path("signup/", SignupView.as_view(), name="signup"),
    path("settings/", AccountSettingsView.as_view(), name="account_settings"),
    path("time-zone/", time_zone_detected, name="time_zone_detected"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=LocalePasswordResetForm),
        name="password_reset",
    ),
    # Before Django's own: a completed reset also lifts a login lock.
    path("reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("", include("django.contrib.auth.urls")),
]
