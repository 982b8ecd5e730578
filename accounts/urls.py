from django.urls import include, path

from .views import PasswordResetConfirmView, SignupView

urlpatterns = [
    path("signup/", SignupView.as_view(), name="signup"),
    # Before Django's own: a completed reset also lifts a login lock.
    path("reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("", include("django.contrib.auth.urls")),
]
