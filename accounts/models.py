import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailUserManager(UserManager):
    """Users log in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


DISPLAY_NAME_MAX_LENGTH = 60


def validate_time_zone(value: str) -> None:
    """An IANA time zone name this machine knows ("Europe/Berlin"); blank means not chosen."""
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(zone)s” is not a time zone we know."), code="invalid", params={"zone": value})


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=DISPLAY_NAME_MAX_LENGTH,
        blank=True,
        help_text=_("How we greet you in emails and how staff address you."),
    )
    # Blank: not chosen yet, so each request's language comes from the browser.
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES, blank=True)
    # Blank: not known yet; the browser's zone is detected on the next page and saved.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])

    objects = EmailUserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_short_name(self) -> str:
        """What the admin's "Welcome, …" shows: the person's name, not their address."""
        return self.greeting_name

    @property
    def greeting_name(self) -> str:
        """The name to greet this person by: the display name they gave, else the name staff
        entered, else the part of the address before the @."""
        return self.display_name or self.get_full_name() or self.email.split("@")[0]
