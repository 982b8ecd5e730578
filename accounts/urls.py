from django.contrib.auth import views as auth_views
from django.urls import include, path

from .forms import LoginForm
from .views import PasswordResetConfirmView, SignupView

urlpatterns = [
    path("signup/", SignupView.as_view(), name="signup"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    # Before Django's own: a completed reset also lifts a login lock.
    path("reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("", include("django.contrib.auth.urls")),
]
