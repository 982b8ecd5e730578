"""Settings for the whole site, read from the environment (and `.env` when present).

Development (`make run`) gets a `.env` copied from `.env.example`; production sets real
environment variables and gets no defaults for its secrets.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV", default=True) and (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY") if not DEBUG else env("DJANGO_SECRET_KEY", default="dev-only-not-secret")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Where links in emails point. Unset, it follows the port `make run PORT=...` serves on.
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

INSTALLED_APPS = [
    "cssbuy_qc.apps.SiteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_fsm",
    "pgtrigger",
    "axes",
    "csp",
    "storages",
    "bulkjobs",
    "accounts",
    "orders",
    "qc",
    "notifications",
    "ledger",
    "refunds",
    "tickets",
    "evidence",
    "demo",
    "ops",
    "cssbuy_qc",
]

MIDDLEWARE = [
    "ops.middleware.ProbeMiddleware",  # /healthz, /readyz, /metrics: before host, HTTPS and session checks
    "ops.middleware.RequestContextMiddleware",  # request id, access log line, request metrics
    "cssbuy_qc.middleware.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLocaleMiddleware",  # after Locale and Authentication: the user's choice wins
    "cssbuy_qc.headers.ResponseHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cssbuy_qc.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cssbuy_qc.urls"
WSGI_APPLICATION = "cssbuy_qc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
                "ledger.context_processors.balance",
                "accounts.context_processors.locale",
            ],
            # common is a plain package, not an app: its template filters are named here.
            "libraries": {"when": "common.templatetags.when", "site_header": "common.templatetags.site_header"},
        },
    },
]
FORM_RENDERER = "cssbuy_qc.forms.SiteFormRenderer"
# The sections of the shopper's order page (orders.pages), in page order within each slot: each
# app builds its own from its selectors, `(*, order, user) -> common.pages.PageSection | None`,
# and puts it in a slot by the order's status (what the shopper must do now comes first).
ORDER_PAGE_SECTIONS = [
    "qc.selectors.order_qc_section",
    "qc.selectors.order_photo_request_section",
    "orders.selectors.order_payment_section",
    "refunds.selectors.order_decision_section",
    "refunds.selectors.order_discount_section",
    "qc.selectors.order_listing_section",
    "evidence.selectors.order_evidence_section",
    "tickets.selectors.order_ticket_section",
]
# The order list's card photos: `(*, orders) -> {order pk: common.pages.Picture}`, one query.
ORDER_CARD_PHOTOS = "qc.selectors.order_card_photos"

# --- Data -----------------------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    # A kept connection is checked before each request reuses it: after a database restart the
    # first request reconnects instead of failing on a dead connection.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` writes from three processes (web, worker, beat). Write-ahead logging lets
    # readers go on while one writes; a transaction takes the write lock when it begins (so it
    # never fails halfway, when upgrading a read lock) and waits up to `timeout` seconds for it.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Accounts -------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:list"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a user name out *from one client address* after a few
# failures, so nobody can lock someone else out from elsewhere. The lock ends 15 minutes after
# the last counted failure; attempts while it holds are refused without extending it, and a
# completed password reset lifts it (accounts.views.PasswordResetConfirmView).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttling.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The number of proxies in front of gunicorn, each appending to X-Forwarded-For (one nginx: 1).
# 0 (no proxy) reads REMOTE_ADDR; behind a proxy, 0 would make every client the proxy's address.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_address"

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
# How the language switch names each language: in that language itself, the same on every page.
LANGUAGE_AUTONYMS = {"en": "English", "zh-hans": "中文"}
LOCALE_PATHS = [BASE_DIR / "locale"]
# Times written the same way everywhere, with the zone named (cssbuy_qc/formats/<language>).
FORMAT_MODULE_PATH = ["cssbuy_qc.formats"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Celery ---------------------------------------------------------------------------------

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
_broker_dir = BASE_DIR / "var" / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Kombu's filesystem transport: a broker that needs no server, for `make run`.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Fail fast when the broker is down or hung: the sweeps publish later.
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
        "max_retries": 0,
        # A message taken by a worker that died before acknowledging it (acks_late tasks) goes
        # back to its queue after this long, and another worker runs it. It must exceed the
        # longest a worker may hold a message: a retry's countdown (at most 600 s) plus the
        # task's hard time limit (at most 300 s); else a message still held is run twice.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=960),
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
# One queue per kind of work, each with its own worker (README, bin/run-all): a hung mail
# server stalls only `email`, a burst of uploads only `images`; deadlines, sweeps and bulk
# jobs run on `default` whatever happens to the others.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "notifications.tasks.send_notification_email": {"queue": "email"},
    "qc.tasks.make_photo_renditions": {"queue": "images"},
    "evidence.tasks.build_evidence_pack": {"queue": "images"},
}
# Every task has time limits (these, or its own); a soft limit raises in the task, the hard
# one kills the worker process running it.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# Acknowledged when done (so redelivered if the worker dies meanwhile) only where a task says
# it is safe to run twice: each of ours does, after checking.
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "ops-ledger-check": {"task": "ops.tasks.check_ledger", "schedule": timedelta(hours=1)},
    "orders-remind-due-decisions": {"task": "orders.tasks.remind_due_decisions", "schedule": timedelta(minutes=5)},
    "orders-expire-due-decisions": {"task": "orders.tasks.expire_due_decisions", "schedule": timedelta(minutes=1)},
    "notifications-sweep-unsent": {
        "task": "notifications.tasks.sweep_unsent_notifications",
        "schedule": timedelta(minutes=1),
    },
    "qc-expire-photo-requests": {
        "task": "qc.tasks.expire_unanswered_photo_requests",
        "schedule": timedelta(minutes=5),
    },
    "qc-renditions-sweep": {
        "task": "qc.tasks.sweep_missing_renditions",
        "schedule": timedelta(minutes=5),
    },
    "bulkjobs-sweep": {"task": "bulkjobs.tasks.sweep_bulk_jobs", "schedule": timedelta(minutes=1)},
    "tickets-autoclose-resolved": {
        "task": "tickets.tasks.autoclose_resolved_tickets",
        "schedule": timedelta(hours=1),
    },
}

# --- Email ----------------------------------------------------------------------------------

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
if env("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CSSBuy QC <qc@example.com>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)  # seconds; a hung SMTP server fails and retries
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------------

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Asking browsers to hard-code HTTPS for the domain and all its subdomains is hard to undo
# (months to leave the preload list): the operator opts in.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "SECURE_HSTS_PRELOAD is not True": by choice
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# The largest request body accepted at all: five ticket attachments or one QC photo fit.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=130 * 1024 * 1024)

# Content-Security-Policy (django-csp): no inline script anywhere. The Django admin sets a few
# inline styles, so only under /admin/ is 'unsafe-inline' allowed for styles (see middleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *env.list("CSP_EXTRA_IMG_SRC", default=[])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Logging --------------------------------------------------------------------------------

# LOG_FORMAT=json: one JSON object per line (ops.log.JsonFormatter), for the web and the worker
# (whose --loglevel and --logfile then give way to this; see ops.tasks_context); every record
# carries the request id of the web request or task it was written in.
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.log.RequestIdFilter"}},
    "formatters": {"json": {"()": "ops.log.JsonFormatter"}, "text": {"format": "%(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django's own console handler (DEBUG only) would print a second, plain copy of its records.
        **({"django": {"handlers": [], "level": "INFO"}} if LOG_FORMAT == "json" else {}),
    },
}

# Error reports: with SENTRY_DSN set, unhandled errors of the site and of the workers also go to
# Sentry, without personal data (no cookies, user details or request bodies).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        send_default_pii=False,
        max_request_body_size="never",  # form posts carry emails, addresses, messages
        include_local_variables=False,  # so do the variables of the failing code
        traces_sample_rate=0.0,
    )

# --- Operations -----------------------------------------------------------------------------

# /metrics answers a bearer token or a scraper's address (IPs or networks); off when both are unset.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# /readyz answers within this bound even when a dependency hangs.
READYZ_TIMEOUT_SECONDS = env.float("READYZ_TIMEOUT_SECONDS", default=2.0)

# --- Product rules --------------------------------------------------------------------------

QC_DECISION_HOURS = env.int("QC_DECISION_HOURS", default=120)
QC_REMINDER_HOURS = env.int("QC_REMINDER_HOURS", default=24)
SELLER_RESPONSE_HOURS = env.int("SELLER_RESPONSE_HOURS", default=72)
RETURN_SHIPPING_FEE = Decimal(env("RETURN_SHIPPING_FEE", default="15.00"))
NOTIFICATION_RESEND_AFTER_MINUTES = env.int("NOTIFICATION_RESEND_AFTER_MINUTES", default=2)
# Extra photos or measurements a shopper asks for on a QC round: the first request of an order
# is free, later ones cost EXTRA_PHOTO_FEE per photo asked, refunded if not answered within
# EXTRA_PHOTO_HOURS; one request asks for at most EXTRA_PHOTO_MAX photos.
EXTRA_PHOTO_FEE = Decimal(env("EXTRA_PHOTO_FEE", default="2.00"))
EXTRA_PHOTO_HOURS = env.int("EXTRA_PHOTO_HOURS", default=48)
EXTRA_PHOTO_MAX = env.int("EXTRA_PHOTO_MAX", default=10)

# Support tickets: the first-response clock, the quiet period before a resolved ticket closes
# itself, and the limits of attachments (images are limited by the QC upload rules).
TICKET_FIRST_RESPONSE_HOURS = env.int("TICKET_FIRST_RESPONSE_HOURS", default=24)
TICKET_AUTOCLOSE_DAYS = env.int("TICKET_AUTOCLOSE_DAYS", default=7)
TICKET_PDF_MAX_BYTES = env.int("TICKET_PDF_MAX_BYTES", default=10 * 1024 * 1024)
TICKET_ATTACHMENTS_PER_MESSAGE = env.int("TICKET_ATTACHMENTS_PER_MESSAGE", default=5)

# --- QC photos and their storage ------------------------------------------------------------

# Upload limits (common.uploads.validate_image): bytes per file and pixels per image.
QC_PHOTO_MAX_BYTES = env.int("QC_PHOTO_MAX_BYTES", default=25 * 1024 * 1024)
QC_PHOTO_MAX_PIXELS = env.int("QC_PHOTO_MAX_PIXELS", default=60_000_000)
# A measurement more than this far off the listing (percent) is highlighted as a problem.
QC_MEASUREMENT_TOLERANCE_PERCENT = env.float("QC_MEASUREMENT_TOLERANCE_PERCENT", default=3.0)
# Signed storage URLs live at most 5 minutes.
QC_SIGNED_URL_SECONDS = min(env.int("QC_SIGNED_URL_SECONDS", default=300), 300)
# The QC page's thumbnails carry signed addresses (common.serving), checked without a session or
# the database, so 40 thumbnails cost no 40 permission checks. They live at least this long
# (longer than anyone reads a page), on steps of SIGNED_FILE_URL_STEP: a cached QC fragment
# holding them lives at most one step, so it never holds an address about to expire.
SIGNED_FILE_URL_SECONDS = env.int("SIGNED_FILE_URL_SECONDS", default=3600)
SIGNED_FILE_URL_STEP = env.int("SIGNED_FILE_URL_STEP", default=600)
# Behind nginx with an internal location over MEDIA_ROOT (deploy/nginx.conf): the signed
# addresses answer with X-Accel-Redirect to it, and nginx sends the bytes. Empty: Django does.
X_ACCEL_REDIRECT_PREFIX = env("X_ACCEL_REDIRECT_PREFIX", default="")

# Photos live on local disk (MEDIA_ROOT, never served directly) unless a bucket is configured:
# then django-storages S3 with private objects, signed URLs and no overwriting.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default=None),
            "signature_version": "s3v4",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": QC_SIGNED_URL_SECONDS,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "private, max-age=300"},
        },
    }
    if AWS_S3_ENDPOINT_URL:
        # Photo views redirect browsers to signed URLs on the storage host.
        CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(AWS_S3_ENDPOINT_URL.rstrip("/"))

# --- Listing images and evidence packs (issue 15) --------------------------------------------

# Listing images an order may have from each side: the shopper's screenshots, the purchaser's
# seller photos (checked by the QC upload rules above).
LISTING_IMAGES_MAX = env.int("LISTING_IMAGES_MAX", default=6)
# An order's evidence pack (evidence app) with at most this many photos is streamed at once;
# a larger one is built in the background and its requester notified when it is ready.
EVIDENCE_DIRECT_MAX_PHOTOS = env.int("EVIDENCE_DIRECT_MAX_PHOTOS", default=30)
