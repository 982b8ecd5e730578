import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cssbuy_qc.settings")

app = Celery("cssbuy_qc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
