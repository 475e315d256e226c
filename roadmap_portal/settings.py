"""Settings, read from the environment.

Defaults serve the local demo (SQLite, eager Celery, console e-mail). With
``DJANGO_ENV=production`` nothing secret has a default and the security
settings pass ``manage.py check --deploy``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ("development", "production"):
    raise ImproperlyConfigured(
        f"DJANGO_ENV={DJANGO_ENV!r} is not known: set it to 'development' or 'production'."
    )
PRODUCTION = DJANGO_ENV == "production"


def _required(name, hint):
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: {hint}")
    return value


if PRODUCTION:
    SECRET_KEY = _required(
        "SECRET_KEY", "production mode needs a long random secret (50+ characters)."
    )
    DEBUG = False
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is not set: production mode needs the host names the portal serves, "
            "comma-separated (e.g. portal.example.org)."
        )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-key-do-not-use-in-production")
    DEBUG = env.bool("DEBUG", default=True)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "roadmap_portal",
    "suppliers",
    "certification",
    "procurement",
    # The notification layer subscribes to the domain events before the webhooks do (its
    # AppConfig.ready), so an event's outbox rows list the notifications first.
    "roadmap_portal.notifications",
    "roadmap_portal.webhooks",
    "roadmap_portal.outbox",
    "roadmap_portal.export_jobs",
    "roadmap_portal.conversations",
    "roadmap_portal.accounts",
    "roadmap_portal.insights",
    "roadmap_portal.search",
    "roadmap_portal.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "roadmap_portal.middleware.UserLanguageMiddleware",
    # A NUL or an over-long value in a form or query string: 400 naming the field.
    "roadmap_portal.input_limits.InputLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A page's RoleNotAllowed: 403; ObjectDoesNotExist: 404; TransitionNotAllowed: a message.
    "roadmap_portal.web.DomainExceptionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the settings' policy written once (roadmap_portal/middleware.py).
    "roadmap_portal.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Last: it turns a sign-in that axes locked out into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Static files come from whitenoise in production; runserver serves them in development.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "roadmap_portal.urls"
WSGI_APPLICATION = "roadmap_portal.wsgi.application"

# Widgets render through the project's templates too, so that templates/ can correct a
# widget of Django's admin (the split date-time field's labels).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
                "roadmap_portal.context_processors.portal",
            ],
        },
    }
]

# --- database ---------------------------------------------------------------
_database_url = env.str("DATABASE_URL", default="")
_SUPPORTED_DATABASES = ("postgres", "postgresql", "pgsql", "sqlite")
if _database_url and _database_url.split(":", 1)[0] not in _SUPPORTED_DATABASES:
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {_database_url.split(':', 1)[0]!r} is not supported. "
        "Use postgres://USER:PASSWORD@HOST:5432/NAME, or unset it for the SQLite demo."
    )
if _database_url:
    try:
        _db = environ.Env.db_url_config(_database_url)
    except Exception as exc:  # django-environ raises several kinds for a malformed URL
        raise ImproperlyConfigured(
            f"DATABASE_URL could not be read ({exc}). "
            "Use postgres://USER:PASSWORD@HOST:5432/NAME, or unset it for the SQLite demo."
        ) from exc
    # Persistent connections (seconds; 0 closes each request's connection, as Django's
    # default), checked before a request reuses them (CONN_HEALTH_CHECKS).
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    # Django's backend, with a health check that a connection used within the last
    # CONN_HEALTH_CHECK_BYPASS seconds skips (roadmap_portal/db/postgresql/base.py).
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db["ENGINE"] = "roadmap_portal.db.postgresql"
    DATABASES = {"default": _db}
elif PRODUCTION:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set: production mode needs PostgreSQL, "
        "e.g. postgres://USER:PASSWORD@HOST:5432/NAME."
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }

# Covering indexes (INCLUDE columns) serve PostgreSQL; the SQLite demo keeps their key
# columns and has no use for the warning.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Seconds after a request in which its connection is reused without the health check.
CONN_HEALTH_CHECK_BYPASS = env.float("CONN_HEALTH_CHECK_BYPASS", default=1.0)
# The token check, a conditional GET's stamps, detail rows, first cursor pages and the rows a
# search shows run as statements each connection prepares once
# (roadmap_portal/db/postgresql/base.py). Turn off behind a connection pooler in
# transaction mode (PgBouncer's pool_mode=transaction), where they would not be found.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: it refuses a locked-out account before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"

# --- sign-in lockout (django-axes; see roadmap_portal/logins.py) -------------------------
# Failed sign-ins within the cool-off lock out: LOGIN_FAILURE_LIMIT for one account from one
# address, LOGIN_ADDRESS_FAILURE_LIMIT for one address over any accounts,
# LOGIN_ACCOUNT_FAILURE_LIMIT for one account from any addresses. The lock lasts
# LOGIN_LOCKOUT_MINUTES after the last failure; a failure during the lock starts it again.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=30)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# Behind reverse proxies, how many of them append the address they were reached from to
# X-Forwarded-For (0: the portal is reached directly and the client's address is REMOTE_ADDR).
# Set it when there is a proxy: otherwise every client shares the proxy's address.
LOGIN_TRUSTED_PROXY_COUNT = env.int("LOGIN_TRUSTED_PROXY_COUNT", default=0)
for _name in ("LOGIN_FAILURE_LIMIT", "LOGIN_ADDRESS_FAILURE_LIMIT", "LOGIN_ACCOUNT_FAILURE_LIMIT"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more.")
AXES_HANDLER = "roadmap_portal.logins.TieredLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_CALLABLE = "roadmap_portal.logins.lockout_response"
# A success must not wipe the address's failures: a guesser would sign in to an account of
# their own between guesses.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "roadmap_portal.logins.client_address"

# --- API tokens (django-rest-knox: hashed at rest, several per person) ----------------------
# A token from POST /api/v1/auth/token/ works for API_TOKEN_LIFETIME_DAYS, then answers 401;
# a person holds at most API_TOKENS_PER_USER live tokens (GET/DELETE /api/v1/auth/tokens/).
API_TOKEN_LIFETIME_DAYS = env.int("API_TOKEN_LIFETIME_DAYS", default=30)
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=10)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_LIFETIME_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- language and time ------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True
# Dates read "2 Dec 2026" in English and "02.12.2026" in Russian (roadmap_portal/formats).
FORMAT_MODULE_PATH = ["roadmap_portal.formats"]

# --- static and media -------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files are never served directly: scoped views stream them.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded PDFs (datasheets, protocols, certificate scans)
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
# Objects a PDF may hold to be checked for active content (suppliers/validators.py): a
# 300-page scan holds about 1,500; pypdf reads about 10,000 a second.
PDF_MAX_OBJECTS = env.int("PDF_MAX_OBJECTS", default=20_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=10_000)
# What any request may carry (roadmap_portal/input_limits.py): every free-text field
# (comments, descriptions, reasons, remarks, findings, signatories, sources) holds at most
# INPUT_TEXT_MAX_LENGTH characters; no single value of a form, query string or JSON body
# more than INPUT_VALUE_MAX_LENGTH; JSON nests at most INPUT_JSON_MAX_DEPTH levels. A NUL
# character is refused everywhere (PostgreSQL cannot store it).
INPUT_TEXT_MAX_LENGTH = env.int("INPUT_TEXT_MAX_LENGTH", default=5_000)
INPUT_VALUE_MAX_LENGTH = env.int("INPUT_VALUE_MAX_LENGTH", default=20_000)
INPUT_JSON_MAX_DEPTH = env.int("INPUT_JSON_MAX_DEPTH", default=20)
# A product list is checked against these before anything parses it (suppliers/import_limits.py):
# a workbook is a ZIP archive, and a few hundred KiB can unpack to gigabytes of XML.
# Rows of the sheet or lines of the CSV, blank and formatted-only rows included.
IMPORT_MAX_SHEET_ROWS = env.int("IMPORT_MAX_SHEET_ROWS", default=2 * IMPORT_MAX_ROWS)
# Columns of the sheet or cells of a CSV line (the template has 9).
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=50)
# Files inside the workbook (Excel writes about a dozen).
IMPORT_XLSX_MAX_ENTRIES = env.int("IMPORT_XLSX_MAX_ENTRIES", default=200)
# All files of the workbook unpacked, as declared and as actually inflated (10,000 typical
# rows unpack to about 7 MiB).
IMPORT_XLSX_MAX_UNPACKED_BYTES = env.int("IMPORT_XLSX_MAX_UNPACKED_BYTES", default=64 * 1024 * 1024)
# One part other than the worksheets and shared strings (workbook, styles, relationships):
# openpyxl reads these whole, at about a second per MiB of styles.
IMPORT_XLSX_MAX_PART_BYTES = env.int("IMPORT_XLSX_MAX_PART_BYTES", default=2 * 1024 * 1024)
# Unpacked size over packed size of one file (real sheets pack about 20:1; bombs 1000:1).
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", default=100)

# --- e-mail -----------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if PRODUCTION
        # The demo's e-mails are files in EMAIL_FILE_PATH (and rows of the delivery log).
        else "django.core.mail.backends.filebased.EmailBackend"
    ),
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Roadmap Portal <noreply@localhost>")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "media" / "outbox"))
# The lease of one e-mail: a delivery claimed by a worker that died is taken again after
# this many seconds. A worker claims one message at a time and its SMTP connection times
# out within a third of this, so a live worker is not overtaken (docs/reliability.md).
NOTIFICATION_SENDING_TIMEOUT = env.int("NOTIFICATION_SENDING_TIMEOUT", default=60)
# Absolute links in e-mails; by default the address `make run` serves (HOST and PORT).
PORTAL_BASE_URL = env.str(
    "PORTAL_BASE_URL",
    default=f"http://{env.str('HOST', default='127.0.0.1')}:{env.int('PORT', default=8000)}",
)
# A registration's confirmation link (e-mailed; it carries the registration) works this long.
REGISTRATION_LINK_HOURS = env.int("REGISTRATION_LINK_HOURS", default=48)
# An invitation's link (e-mailed; single use) works this long.
INVITATION_LINK_DAYS = env.int("INVITATION_LINK_DAYS", default=7)
# The registration form sends e-mail: per hour, at most this many requests from one client
# address, and this many messages to one e-mail address.
REGISTRATION_REQUESTS_PER_HOUR = env.int("REGISTRATION_REQUESTS_PER_HOUR", default=20)
REGISTRATION_MAILS_PER_HOUR = env.int("REGISTRATION_MAILS_PER_HOUR", default=3)

# --- open data (OCDS) -------------------------------------------------------
# The prefix registered for this publisher; each tender's ocid is the prefix plus its id.
OCDS_OCID_PREFIX = env.str("OCDS_OCID_PREFIX", default="ocds-rmp001-")
OCDS_PUBLISHER_NAME = env.str("OCDS_PUBLISHER_NAME", default="Roadmap Portal")

# --- demo -------------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="roadmap-demo-2026")

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "roadmap_portal.api.authentication.PersonTokenAuthentication",
        "roadmap_portal.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies are checked for NUL characters, over-long values and deep nesting.
    "DEFAULT_PARSER_CLASSES": [
        "roadmap_portal.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON written by orjson (the same answer as DRF's JSONRenderer, several times faster).
    "DEFAULT_RENDERER_CLASSES": [
        "roadmap_portal.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's negotiation, its choice remembered per Accept header, format and renderers.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "roadmap_portal.api.negotiation.RememberedNegotiation",
    "DEFAULT_PAGINATION_CLASS": "roadmap_portal.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "roadmap_portal.api.filtering.QueryFilterBackend",
        "roadmap_portal.api.ordering.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "roadmap_portal.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["roadmap_portal.api.throttling.ClientRateThrottle"],
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Request budgets ("N/second|minute|hour|day"; empty turns a budget off).
API_RATE_KEY = env.str("API_RATE_KEY", default="1200/minute")
API_RATE_USER = env.str("API_RATE_USER", default="1200/minute")
API_RATE_ANON = env.str("API_RATE_ANON", default="120/minute")
# Seconds a client (or a shared cache, per credentials) may reuse an answer of the register,
# tenders and OCDS without asking again (Cache-Control: public, max-age); docs/api.md.
API_PUBLIC_MAX_AGE = env.int("API_PUBLIC_MAX_AGE", default=60)

# Webhooks go only to hosts that resolve to public internet addresses (checked when a URL is
# registered and again at every connection). An on-premise installation whose partners'
# receivers sit on its own network admits private networks here: loopback, 10/8, 172.16/12,
# 192.168/16, 100.64/10 and fc00::/7, over https or plain http. Link-local (cloud metadata),
# multicast, documentation and reserved addresses stay refused.
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=False)
# One webhook attempt waits this many seconds at most; attempts run on their own queue.
WEBHOOK_TIMEOUT = env.int("WEBHOOK_TIMEOUT", default=5)
# A failed attempt is retried after 30 s, 1, 2, 4, 8 min, then every 10 min (with jitter)
# until it is answered or its endpoint is switched off (then it is held, not dropped).
WEBHOOK_RETRY_BACKOFF = env.int("WEBHOOK_RETRY_BACKOFF", default=30)
WEBHOOK_RETRY_BACKOFF_MAX = env.int("WEBHOOK_RETRY_BACKOFF_MAX", default=600)
# Without a broker (development) the retries run at once: this many, then the delivery is
# recorded failed (a redelivery sends it).
WEBHOOK_MAX_RETRIES = env.int("WEBHOOK_MAX_RETRIES", default=6)
# An endpoint is switched off only when it has failed for this long without one success AND
# at least WEBHOOK_DISABLE_AFTER attempts in a row failed: a burst of errors does not do it.
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=10)
WEBHOOK_DISABLE_AFTER_HOURS = env.float("WEBHOOK_DISABLE_AFTER_HOURS", default=24.0)
# One redelivery request ("everything since") queues at most this many deliveries.
WEBHOOK_REDELIVER_MAX = env.int("WEBHOOK_REDELIVER_MAX", default=1000)
WEBHOOK_MAX_ENDPOINTS = env.int("WEBHOOK_MAX_ENDPOINTS", default=10)

# Throttling budgets and other shared counters live in Redis when there is one.
_cache_url = env.str("CACHE_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Roadmap Portal API",
    "DESCRIPTION": (
        "Roadmap-driven supplier onboarding: roadmaps, suppliers, product offers and their "
        "pipeline, certificates, the register of permitted products, tenders, contracts and "
        "cooperation volume. Authenticate with `Authorization: Token KEY` (from "
        "`POST /api/v1/auth/token/`) or a partner key `Authorization: Api-Key KEY`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "roadmap_portal.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OfferStatusEnum": "suppliers.choices.OfferStatus",
        "VerificationStatusEnum": "suppliers.choices.VerificationStatus",
        "SupplierKindEnum": "suppliers.choices.SupplierKind",
        "WebhookEventEnum": "roadmap_portal.webhooks.models.WebhookEvent",
        "WebhookDeliveryStatusEnum": "roadmap_portal.webhooks.models.DeliveryStatus",
        "ProductTestKindEnum": "certification.choices.TestKind",
    },
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# Redis redelivers an unacknowledged task after the visibility timeout: keep it above
# the hard time limit so that a long task is never run twice while still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
# Handing a task to the broker (roadmap_portal.outbox) gives up fast and leaves the row
# pending for the sweep; it never waits on a broker that is away.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# Queues per kind, so that a slow partner delays only its own webhooks: each has its worker
# in docker-compose.yml. Task names (fnmatch patterns) to kinds; the rest go to "celery".
# CELERY_QUEUE_PREFIX (environment) puts a test's queues apart from every other test's.
TASK_QUEUE_PREFIX = env.str("CELERY_QUEUE_PREFIX", default="")
TASK_QUEUES_BY_NAME = {
    "roadmap_portal.notifications.tasks.notify_*": "notifications",
    "roadmap_portal.notifications.tasks.deliver_*": "notifications",
    "roadmap_portal.notifications.tasks.send_daily_digests": "notifications",
    "roadmap_portal.notifications.tasks.send_expiry_reminders": "notifications",
    "roadmap_portal.webhooks.tasks.*": "webhooks",
    "roadmap_portal.insights.tasks.build_*": "reports",
    "*.tasks.import_*": "imports",
    "*.tasks.export_*": "exports",
}
CELERY_TASK_ROUTES = ("roadmap_portal.outbox.services.route_task",)
# The outbox sweep hands over again a task handed over this long ago and not done.
OUTBOX_REDISPATCH_AFTER = env.int("OUTBOX_REDISPATCH_AFTER", default=5 * 60)
OUTBOX_MAX_HANDOFFS = env.int("OUTBOX_MAX_HANDOFFS", default=10)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=7)
CELERY_BEAT_SCHEDULE = {
    "outbox-relay-every-minute": {
        "task": "roadmap_portal.outbox.tasks.relay_outbox",
        "schedule": 60.0,
    },
    "expire-certificates-daily": {
        "task": "certification.tasks.lapse_certificates",
        "schedule": crontab(hour=0, minute=30),
    },
    "certificate-expiry-reminders-daily": {
        "task": "roadmap_portal.notifications.tasks.send_expiry_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    "notification-digests-daily": {
        "task": "roadmap_portal.notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    "notification-emails-sweep": {
        "task": "roadmap_portal.notifications.tasks.deliver_pending",
        "schedule": crontab(minute="*/5"),
    },
    "webhook-deliveries-sweep": {
        "task": "roadmap_portal.webhooks.tasks.deliver_stale_webhooks",
        "schedule": crontab(minute="*/10"),
    },
    "yearly-reports-in-january": {
        "task": "roadmap_portal.insights.tasks.build_yearly_reports",
        "schedule": crontab(hour=3, minute=0, day_of_month=5, month_of_year=1),
    },
}

# --- when Redis, a worker or beat fails (docs/reliability.md) -----------------
# A frozen or stopped Redis costs at most these timeouts, then the portal goes on without it:
# throttling counts per process, caching is skipped, jobs wait in the database.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.25)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
# After a Redis error the throttle counts locally this long before asking Redis again.
REDIS_RETRY_AFTER = env.float("REDIS_RETRY_AFTER", default=5.0)
if _cache_url:
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
    }
CELERY_BROKER_TRANSPORT_OPTIONS |= {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
# A report build holds a lease that its worker renews; a job whose lease ran out (its worker
# died, or the broker lost it) is queued again by the sweep, and failed after this many tries.
REPORT_LEASE_SECONDS = env.int("REPORT_LEASE_SECONDS", default=60)
REPORT_QUEUE_SECONDS = env.int("REPORT_QUEUE_SECONDS", default=600)
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=3)
# How often beat sweeps the jobs and stamps its heartbeat (seconds); /healthz/ready reports
# a heartbeat older than HEALTH_HEARTBEAT_STALE seconds as stale.
JOBS_SWEEP_SECONDS = env.float("JOBS_SWEEP_SECONDS", default=60.0)
HEALTH_HEARTBEAT_STALE = env.int("HEALTH_HEARTBEAT_STALE", default=180)
# ... and an outbox row still not done after this many seconds as a backlog. A broker that
# is down makes the web "not ready" (503) unless HEALTH_BROKER_REQUIRED is off.
HEALTH_OUTBOX_STALE = env.int("HEALTH_OUTBOX_STALE", default=600)
HEALTH_BROKER_REQUIRED = env.bool("HEALTH_BROKER_REQUIRED", default=True)
CELERY_BEAT_SCHEDULE |= {
    "jobs-sweep": {
        "task": "roadmap_portal.insights.tasks.sweep_jobs",
        "schedule": JOBS_SWEEP_SECONDS,
    },
    "heartbeat": {"task": "roadmap_portal.tasks.heartbeat", "schedule": JOBS_SWEEP_SECONDS},
    # API tokens past their expiry (a request with one deletes it at once).
    "expired-tokens-hourly": {
        "task": "roadmap_portal.tasks.delete_expired_tokens",
        "schedule": crontab(minute=15),
    },
}

# --- scale-out: object storage and a read replica (docs/deploy.md) ---------------------------
# With S3_BUCKET set, uploaded files (datasheets, test protocols, certificate scans), pending
# imports and built reports are kept in that bucket of an S3-compatible object store
# (django-storages) instead of MEDIA_ROOT, so every web server and worker sees the same
# files. Objects stay private: no ACL is set, nothing links to the bucket; the portal's
# scoped views stream them (roadmap_portal/storage.py). S3_ENDPOINT_URL names a store other
# than AWS (MinIO, Ceph, a cloud's S3 API); without keys boto3's own chain is used (instance
# role, AWS_* variables).
S3_BUCKET = env.str("S3_BUCKET", default="")
# Exports of working lists (docs/exports.md): up to EXPORT_INLINE_MAX_ROWS rows are answered
# at once, more become a job on the "exports" queue under a lease like the reports'; its file
# and row are deleted EXPORT_KEEP_HOURS after it was asked for (the sweep below).
EXPORT_INLINE_MAX_ROWS = env.int("EXPORT_INLINE_MAX_ROWS", default=5000)
EXPORT_LEASE_SECONDS = env.int("EXPORT_LEASE_SECONDS", default=120)
EXPORT_QUEUE_SECONDS = env.int("EXPORT_QUEUE_SECONDS", default=600)
EXPORT_MAX_ATTEMPTS = env.int("EXPORT_MAX_ATTEMPTS", default=3)
EXPORT_KEEP_HOURS = env.int("EXPORT_KEEP_HOURS", default=48)
CELERY_BEAT_SCHEDULE |= {
    "export-jobs-sweep": {
        "task": "roadmap_portal.export_jobs.tasks.sweep_export_jobs",
        "schedule": JOBS_SWEEP_SECONDS,
    },
}
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "roadmap_portal.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            # A key prefix, for a bucket shared with other data.
            "location": env.str("S3_PREFIX", default=""),
            # "path" for stores without virtual-host buckets (MinIO behind one host name).
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="") or None,
        },
    }
# With DATABASE_REPLICA_URL set (a streaming replica of DATABASE_URL), the dashboard, the
# volume series, report building and the feeds (register, offers, tenders, contracts, OCDS)
# read from it; every write, everything in a transaction, and every read of a request or
# task that has written stays on the primary, and so do a person's reads for
# REPLICA_STICKY_SECONDS after a request of theirs wrote (roadmap_portal/db_routers.py).
_replica_url = env.str("DATABASE_REPLICA_URL", default="")
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=10)
if _replica_url:
    if "postgres" not in DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL.")
    try:
        _replica = environ.Env.db_url_config(_replica_url)
    except Exception as exc:  # django-environ raises several kinds for a malformed URL
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL could not be read ({exc}). "
            "Use postgres://USER:PASSWORD@REPLICA-HOST:5432/NAME."
        ) from exc
    _replica["ENGINE"] = DATABASES["default"]["ENGINE"]
    _replica["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    _replica["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_HEALTH_CHECKS"]
    # A replica that does not answer within 2 s is skipped (its reads go to the primary).
    _replica.setdefault("OPTIONS", {})["connect_timeout"] = 2
    # Tests read the default test database through this alias instead of creating another.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["roadmap_portal.db_routers.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "roadmap_portal.db_routers.ReplicaRoutingMiddleware",
    )

# --- security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy (django-csp) on every answer: scripts, styles, fonts and images
# only from the portal itself, no inline script, no inline event handler, no inline style;
# no plugins, no framing, forms post only here. Bootstrap's CSS draws some icons as data:
# images. The API docs page (/api/docs/) widens it for Swagger UI's own styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "frame-ancestors": [CSP_NONE],
        "form-action": [CSP_SELF],
    }
}
# Permissions-Policy (django-permissions-policy): the portal uses none of these features.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
