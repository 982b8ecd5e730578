"""Bulk admin actions run in the background: the request answers with a progress page, a
worker changes the objects one by one, and the page shows what happened to each."""

import pytest
from django.test import Client
from django.urls import reverse

from bulkjobs.models import BulkJob
from bulkjobs.services import bulk_job_run, bulk_jobs_sweep
from cssbuy_qc.celery import app as celery_app
from orders.models import Order
from tests.factories import OrderFactory, SupportFactory

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def bulk_purchase(client: Client, orders: list[Order]):
    return client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "purchase_selected", "_selected_action": [order.pk for order in orders]},
    )


def test_the_action_answers_with_a_progress_page_and_the_job_reports_each_order(
    support_client, eager, django_capture_on_commit_callbacks
):
    paid = OrderFactory.create_batch(2, status=S.PAID)
    stored = OrderFactory(status=S.STORED)

    with django_capture_on_commit_callbacks(execute=True):
        response = bulk_purchase(support_client, [*paid, stored])

    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:orders_order_bulk_job", args=[job.pk])
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in paid])} == {S.PURCHASED}
    progress = support_client.get(reverse("admin:orders_order_bulk_job_progress", args=[job.pk])).json()
    assert progress["finished"] and (progress["total"], progress["done"], progress["changed"]) == (3, 3, 2)
    [problem] = progress["problems"]
    assert problem.startswith(stored.number) and "not possible" in problem

    page = support_client.get(response["Location"]).content.decode()
    assert "Finished: 2 of 3 changed." in page
    assert problem.split(":")[0] in page
    assert "bulk-progress.js" in page and "<script>" not in page


def test_while_the_job_waits_the_page_shows_progress_and_polls(support_client):
    orders = OrderFactory.create_batch(2, status=S.PAID)

    response = bulk_purchase(support_client, orders)  # no worker here: the job waits

    page = support_client.get(response["Location"]).content.decode()
    assert "0 of 2 done…" in page
    assert "data-bulk-running" in page and 'max="2" value="0"' in page
    assert {o.status for o in Order.objects.all()} == {S.PAID}


def test_a_job_is_seen_only_by_whoever_started_it(support_client, client):
    response = bulk_purchase(support_client, OrderFactory.create_batch(1, status=S.PAID))
    job = BulkJob.objects.get()
    client.force_login(SupportFactory(email="colleague@example.com"))

    assert client.get(response["Location"]).status_code == 404
    assert client.get(reverse("admin:orders_order_bulk_job_progress", args=[job.pk])).status_code == 404


def test_a_job_cut_short_resumes_after_the_orders_it_did_and_never_runs_twice_at_once(support_client):
    orders = OrderFactory.create_batch(3, status=S.PAID)
    bulk_purchase(support_client, orders)
    job = BulkJob.objects.get()
    BulkJob.objects.filter(pk=job.pk).update(done=1)  # a run stopped after the first order

    assert bulk_job_run(job_id=job.pk) == 2
    assert bulk_job_run(job_id=job.pk) == 0  # finished

    statuses = [Order.objects.get(pk=o.pk).status for o in orders]
    assert statuses == [S.PAID, S.PURCHASED, S.PURCHASED]


def test_the_sweep_publishes_jobs_the_broker_never_took_once(support_client):
    bulk_purchase(support_client, OrderFactory.create_batch(1, status=S.PAID))  # memory broker: taken
    BulkJob.objects.update(queued_at=None)  # as if the broker had been down

    assert bulk_jobs_sweep() == 1
    assert bulk_jobs_sweep() == 0
