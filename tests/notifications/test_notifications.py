"""Notifications: written with the change they report, emailed once after commit."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cssbuy_qc.celery import app as celery_app
from notifications import services
from notifications.models import Event, Notification, NotificationPreference
from notifications.tasks import send_notification_email, sweep_unsent_notifications
from orders import services as order_services
from orders.models import Order
from orders.services import order_cancel
from tests.factories import OrderFactory, UserFactory
from tests.queries import cold, get_in_queries

S = Order.Status


@pytest.fixture
def eager_celery():
    """Run tasks in-process; the real broker and worker are covered by tests/integration."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.mark.django_db
def test_a_staff_status_change_notifies_the_shopper_by_site_and_email(
    support, shopper, eager_celery, django_capture_on_commit_callbacks
):
    order = OrderFactory(shopper=shopper, status=S.PURCHASED)

    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_ship_to_warehouse(order=order, by=support, tracking="YT5550001111")

    notification = Notification.objects.get(user=shopper)
    assert notification.event == Event.ORDER_PROGRESS
    assert "on its way to our warehouse" in notification.title
    assert "YT5550001111" in notification.body
    assert notification.link == order.get_absolute_url()
    assert notification.emailed_at is not None
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["shopper@example.com"]
    assert email.subject == notification.title
    assert "http://testserver" + order.get_absolute_url() in email.body
    assert "http://testserver" + order.get_absolute_url() in email.alternatives[0][0]


@pytest.mark.django_db
def test_the_shopper_is_not_notified_of_their_own_action(shopper, django_capture_on_commit_callbacks):
    order = OrderFactory(shopper=shopper)

    with django_capture_on_commit_callbacks() as callbacks:
        order_cancel(order=order, by=shopper)

    assert callbacks == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_qc_failure_tells_the_deadline(inspector, shopper, django_capture_on_commit_callbacks):
    order = OrderFactory(shopper=shopper, status=S.AWAITING_QC)

    with django_capture_on_commit_callbacks():
        order_services.order_fail_qc(order=order, by=inspector, summary="3 photos. Main defect: stain.")

    notification = Notification.objects.get(user=shopper, event=Event.QC_FAILED)
    assert "needs your decision" in notification.title
    assert "before" in notification.body
    assert "3 photos. Main defect: stain." in notification.body


@pytest.mark.django_db
def test_no_row_and_no_task_after_a_rollback(support, shopper, django_capture_on_commit_callbacks):
    order = OrderFactory(shopper=shopper, status=S.PAID)

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        order_services.order_purchase(order=order, by=support)
        raise RuntimeError("something later in the same transaction failed")

    assert callbacks == []
    assert not Notification.objects.exists()
    assert Order.objects.get(pk=order.pk).status == S.PAID


@pytest.mark.django_db
def test_a_task_run_twice_sends_one_email(shopper):
    notification = Notification.objects.create(user=shopper, event=Event.QC_PASSED, title="QC passed")

    assert send_notification_email.apply(kwargs={"notification_id": notification.pk}).get() is True
    assert send_notification_email.apply(kwargs={"notification_id": notification.pk}).get() is False

    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_racing_on_one_notification_send_one_email(shopper):
    assert connection.vendor == "postgresql"
    notification = Notification.objects.create(user=shopper, event=Event.QC_PASSED, title="QC passed")
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(services.notification_send_email(notification_id=notification.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_leaves_the_notification_unsent_for_a_retry(shopper, settings):
    settings.EMAIL_BACKEND = "tests.notifications.broken_email.Backend"
    notification = Notification.objects.create(user=shopper, event=Event.QC_PASSED, title="QC passed")

    with pytest.raises(OSError):
        services.notification_send_email(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.emailed_at is None


@pytest.mark.django_db
def test_email_preferences_switch_email_off_per_event_but_keep_the_inbox(
    shopper_client, shopper, support, eager_celery, django_capture_on_commit_callbacks
):
    response = shopper_client.post(
        reverse("notifications:preferences"), {"email_events": [Event.QC_FAILED, Event.REFUND_CREDITED]}
    )
    assert response.status_code == 302
    order = OrderFactory(shopper=shopper, status=S.PAID)

    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_purchase(order=order, by=support)

    notification = Notification.objects.get(user=shopper)
    assert notification.email_wanted is False
    assert mail.outbox == []
    form = shopper_client.get(reverse("notifications:preferences")).context["form"]
    assert set(form.initial["email_events"]) == {Event.QC_FAILED, Event.REFUND_CREDITED}
    assert NotificationPreference.objects.filter(user=shopper, email=False).count() == len(Event) - 2


@pytest.mark.django_db
def test_the_sweep_sends_what_is_still_unsent_after_a_while(shopper, eager_celery):
    old = Notification.objects.create(
        user=shopper, event=Event.QC_PASSED, title="Old", created_at=timezone.now() - timedelta(minutes=10)
    )
    recent = Notification.objects.create(user=shopper, event=Event.QC_PASSED, title="Recent")
    done = Notification.objects.create(
        user=shopper,
        event=Event.QC_PASSED,
        title="Done",
        created_at=timezone.now() - timedelta(minutes=10),
        emailed_at=timezone.now(),
    )
    unwanted = Notification.objects.create(
        user=shopper,
        event=Event.QC_PASSED,
        title="Unwanted",
        created_at=timezone.now() - timedelta(minutes=10),
        email_wanted=False,
    )

    assert sweep_unsent_notifications.apply().get() == 1
    assert sweep_unsent_notifications.apply().get() == 0

    assert [m.subject for m in mail.outbox] == ["Old"]
    for n in (old, recent, done, unwanted):
        n.refresh_from_db()
    assert old.emailed_at is not None
    assert recent.emailed_at is None
    assert unwanted.emailed_at is None


@pytest.mark.django_db
def test_inbox_badge_open_and_mark_all_read(shopper_client, shopper, other_shopper):
    order = OrderFactory(shopper=shopper)
    first = Notification.objects.create(
        user=shopper, event=Event.QC_PASSED, title="QC passed", link=order.get_absolute_url()
    )
    Notification.objects.create(user=shopper, event=Event.ORDER_PAID, title="Order paid")
    Notification.objects.create(user=other_shopper, event=Event.ORDER_PAID, title="Not yours")

    inbox = shopper_client.get(reverse("notifications:inbox"))
    assert inbox.status_code == 200
    assert '<span class="badge" aria-label="2 unread">2</span>' in inbox.text
    assert "Not yours" not in inbox.text

    opened = shopper_client.post(reverse("notifications:open", args=[first.pk]))
    assert opened.status_code == 302
    assert opened.url == order.get_absolute_url()
    assert '<span class="badge" aria-label="1 unread">1</span>' in shopper_client.get(order.get_absolute_url()).text

    shopper_client.post(reverse("notifications:mark_all_read"))
    assert 'class="badge"' not in shopper_client.get(reverse("notifications:inbox")).text
    assert Notification.objects.filter(user=other_shopper, read_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_another_users_notification_is_a_404(shopper_client, other_shopper):
    foreign = Notification.objects.create(user=other_shopper, event=Event.ORDER_PAID, title="Not yours")

    assert shopper_client.post(reverse("notifications:open", args=[foreign.pk])).status_code == 404

    foreign.refresh_from_db()
    assert foreign.read_at is None


@pytest.mark.django_db
def test_an_external_link_is_never_followed(shopper_client, shopper):
    n = Notification.objects.create(user=shopper, event=Event.ORDER_PAID, title="x", link="https://evil.example/")

    response = shopper_client.post(reverse("notifications:open", args=[n.pk]))

    assert response.url == reverse("notifications:inbox")


@pytest.mark.django_db
def test_inbox_query_count_does_not_grow(
    shopper_client, shopper, django_assert_num_queries, django_assert_max_num_queries
):
    Notification.objects.create(user=shopper, event=Event.ORDER_PAID, title="one")
    cold()
    with django_assert_max_num_queries(20) as one:
        shopper_client.get(reverse("notifications:inbox"))
    for i in range(24):
        Notification.objects.create(
            user=UserFactory() if i % 5 == 0 else shopper, event=Event.ORDER_PAID, title=str(i)
        )

    cold()
    with django_assert_num_queries(len(one)):
        shopper_client.get(reverse("notifications:inbox"))


@pytest.mark.django_db
def test_a_long_title_with_a_newline_is_one_short_line_and_still_emailed(
    shopper, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            user=shopper, event=Event.QC_FAILED, title="QC failed: “Shirt\nBcc: x@evil.example” " + "x" * 300
        )

    notification = Notification.objects.get()
    assert "\n" not in notification.title
    assert len(notification.title) == 200
    assert notification.emailed_at is not None
    assert mail.outbox[0].subject == notification.title


@pytest.mark.django_db
def test_notifications_recording_history_reach_the_inbox_but_queue_no_email(
    shopper, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, services.notifications_record_history():
        past = services.notify(user=shopper, event=Event.QC_PASSED, title="QC passed last week")
    assert callbacks == []
    assert past.emailed_at is not None and past.read_at is None
    assert not Notification.objects.email_pending().exists()
    assert services.notification_sweep_unsent(older_than=timedelta(0)) == 0
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user=shopper, event=Event.QC_PASSED, title="QC passed now")
    assert [m.subject for m in mail.outbox] == ["QC passed now"]


@pytest.mark.django_db
def test_the_inbox_and_preferences_run_a_pinned_number_of_queries(shopper_client, shopper, django_assert_num_queries):
    services.notify(user=shopper, event=Event.ORDER_PAID, title="Paid")
    services.notify(user=shopper, event=Event.QC_FAILED, title="QC failed")
    services.notification_preferences_set(user=shopper, email_events=[Event.QC_FAILED])
    get_in_queries(shopper_client, reverse("notifications:inbox"), 6, django_assert_num_queries)
    get_in_queries(shopper_client, reverse("notifications:preferences"), 5, django_assert_num_queries)
