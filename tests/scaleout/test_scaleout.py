"""Scale out, proven: two web nodes and two workers as separate machines, one PostgreSQL, one
Redis (broker and cache), photos in a bucket. A QC failure, the shopper's return and the refund
go through both web nodes, and end exactly as the same steps do on one node."""

import re
import time
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, wallet_balance
from ledger.services import wallet_for
from notifications.models import Notification
from ops.tasks import check_ledger
from orders.models import Order
from qc.models import QCPhoto
from refunds import selectors as refund_selectors
from refunds import services as refunds
from tests.factories import PASSWORD, InspectorFactory, SupportFactory, UserFactory, paid_order
from tests.integration.conftest import mail_count
from tests.qc.conftest import failed_round
from tests.qc.images import jpeg
from tests.s3 import BUCKET, s3_client
from tests.scaleout.conftest import METRICS_TOKEN
from tests.scaleout.http import Person, forms
from tests.services import use_broker

pytestmark = pytest.mark.scaleout

ORDER = {
    "product_title": "Wool coat, charcoal",
    "option_text": "M",
    "unit_price": Decimal("389.00"),
    "domestic_shipping": Decimal("12.00"),
    "status": Order.Status.AWAITING_QC,
}


def wait_for(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}")
        time.sleep(0.05)
    return result


def form_posting_to(html: str, action: str):
    """The page's first form posting to `action` (the order page's decision card; its bottom bar
    repeats the same form)."""
    return next(form for form in forms(html) if form.action.endswith(action))


def scrape(person: Person, node) -> dict[tuple[str, tuple], float]:
    response = person.get(f"{node.url}/metrics", Authorization=f"Bearer {METRICS_TOKEN}")
    assert response.status == 200, response.status
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def ledger_summary(order: Order) -> list[tuple[str, Decimal]]:
    """The order's money movements as the shopper's wallet saw them, in order."""
    wallet = wallet_for(user=order.shopper)
    return [
        (txn.kind, sum((e.amount for e in txn.entries.all() if e.account_id == wallet.pk), Decimal("0")))
        for txn in LedgerTransaction.objects.filter(order=order).order_by("id").prefetch_related("entries")
    ]


def test_two_web_nodes_and_two_workers_serve_one_journey(cluster):
    started = time.monotonic()
    inspector = InspectorFactory(email="inspector@example.com")
    support = SupportFactory(email="support@example.com")
    shopper = UserFactory(email="buyer@example.com")
    bystander = UserFactory(email="bystander@example.com")
    order = paid_order(shopper=shopper, **ORDER)

    web_a = cluster.start_web("web-a", workers=2)
    web_b = cluster.start_web("web-b")
    worker_b = cluster.start_worker("worker-b")
    cluster.wait_ready(web_a, web_b, worker_b)
    boot = time.monotonic() - started

    # Every node is ready on the shared database, broker and bucket, and says only that.
    checker = Person("load balancer")
    for node in (web_a, web_b):
        ready = checker.get(f"{node.url}/readyz").json()
        assert ready == {
            "status": "ok",
            "checks": {"database": "ok", "migrations": "ok", "broker": "ok", "storage": "ok"},
        }

    # The inspector uploads a photo through web A; worker B (the only worker so far) makes the
    # renditions, from the bucket, under the upload's request id.
    inspector_browser = Person("inspector")
    assert inspector_browser.log_in(web_a.url, inspector.email, PASSWORD).status == 302
    opened = inspector_browser.get(f"{web_a.url}/admin/qc/qcqueueitem/{order.pk}/inspect/")
    inspection_url = web_a.url + opened.location
    inspection_id = int(re.search(r"/inspection/(\d+)/change/", opened.location).group(1))
    upload = inspector_browser.post(
        f"{web_a.url}/admin/qc/inspection/{inspection_id}/upload/",
        {"caption": "Front"},
        files=[("photo", "front.jpg", jpeg(size=(1800, 1200)), "image/jpeg")],
        headers={"Accept": "application/json", "X-Request-ID": "scaleout-upload-1"},
    )
    assert upload.status == 200, upload.text
    assert upload.headers["x-request-id"] == "scaleout-upload-1"
    photo_id = upload.json()["results"][0]["id"]
    wait_for(lambda: QCPhoto.objects.filter(pk=photo_id, renditions_at__isnull=False).exists(), "renditions")
    # The task logs its outcome once it returned, a moment after its renditions were committed.
    runs = wait_for(
        lambda: [
            line
            for line in worker_b.log_lines()
            if line.get("task") == "qc.tasks.make_photo_renditions" and line["request_id"] == "scaleout-upload-1"
        ],
        "the rendition task's log line",
    )
    assert [(run["outcome"], run["worker"]) for run in runs] == [("SUCCESS", "worker-b@scaleout")]
    photo = QCPhoto.objects.get(pk=photo_id)
    keys = {
        item["Key"]
        for item in s3_client(cluster.env["AWS_S3_ENDPOINT_URL"]).list_objects_v2(Bucket=BUCKET)["Contents"]
    }
    assert set(photo.stored_names()) <= keys

    # A second worker joins while the journey goes on: workers scale out on the broker.
    worker_a = cluster.start_worker("worker-a")

    # The inspector records the defect and fails the round, still on web A.
    page = inspector_browser.get(inspection_url).text
    (form,) = [form for form in forms(page) if form.attrs.get("id") == "inspection_form"]
    fields = [(name, value) for name, value in form.fields if "__prefix__" not in name]
    fields = [(name, value) for name, value in fields if name != "defects-TOTAL_FORMS"]
    fields += [
        ("defects-TOTAL_FORMS", "1"),
        ("defects-0-kind", "damage"),
        ("defects-0-severity", "major"),
        ("defects-0-description", "Torn left pocket"),
        ("defects-0-photo", str(photo_id)),
        ("_qc_fail", "1"),
        ("_qc_missing_ok", "1"),  # the shot list's shots are not all taken: the inspector confirms
    ]
    failed = inspector_browser.post(inspection_url, fields)
    assert failed.status == 302 and failed.location.endswith("/admin/qc/qcqueueitem/"), failed.text[-2000:]
    order.refresh_from_db()
    assert order.status == Order.Status.QC_FAILED

    # The shopper logs in on web A and carries on on web B: the session holds across nodes.
    shopper_browser = Person("shopper")
    assert shopper_browser.log_in(web_a.url, shopper.email, PASSWORD).status == 302
    order_page = shopper_browser.get(f"{web_b.url}/orders/{order.number}/")
    assert order_page.status == 200 and "Torn left pocket" in order_page.text
    display = shopper_browser.get(f"{web_b.url}{photo.display_url}")
    assert (
        display.status == 302 and urlparse(display.location).port == urlparse(cluster.env["AWS_S3_ENDPOINT_URL"]).port
    )
    image = Person("image fetch").get(display.location)
    assert image.status == 200 and image.body[:2] == b"\xff\xd8"
    decision = form_posting_to(order_page.text, f"/orders/{order.number}/return/")
    assert shopper_browser.post(f"{web_b.url}{decision.action}", decision.fields).status == 302
    order.refresh_from_db()
    assert order.status == Order.Status.RETURN_REQUESTED

    # Support logs in on web B and runs the return and the refund on web A.
    support_browser = Person("support")
    assert support_browser.log_in(web_b.url, support.email, PASSWORD).status == 302
    cluster.wait_ready(worker_a)
    for step, extra in (
        ("ship_return", {"tracking": "SF1029384756"}),
        ("seller_received", {}),
        ("confirm_refund", {}),
    ):
        admin_page = support_browser.get(f"{web_a.url}/admin/orders/order/{order.pk}/change/").text
        action = form_posting_to(admin_page, f"/transition/{step}/")
        response = support_browser.post(f"{web_a.url}{action.action}", {**action.values(), **extra})
        if step == "confirm_refund":  # a button that moves money asks first; its page's button credits
            assert response.status == 200, response.text[-2000:]
            confirm = form_posting_to(response.text, f"/transition/{step}/")
            response = support_browser.post(f"{web_a.url}{confirm.action}", confirm.values())
        assert response.status == 302, response.text[-2000:]
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED

    # A lockout made on web A holds on web B.
    bystander_browser = Person("bystander")
    attempts = [bystander_browser.log_in(web_a.url, bystander.email, "wrong-password").status for _ in range(3)]
    assert attempts == [200, 200, 429]
    assert bystander_browser.log_in(web_b.url, bystander.email, PASSWORD).status == 429

    # Every notification is emailed exactly once, by whichever worker took it.
    wait_for(lambda: not Notification.objects.email_pending().exists(), "every email sent")
    emailed = Notification.objects.filter(email_wanted=True).count()
    assert emailed >= 3
    assert mail_count(worker_a.mail) + mail_count(worker_b.mail) == emailed

    # The periodic ledger check runs on a worker; both web nodes read its result from the
    # shared cache in their metrics.
    use_broker(cluster.env["CELERY_BROKER_URL"])
    try:
        check_ledger.delay()
    finally:
        use_broker("memory://")
    wait_for(lambda: ("cssbuy_ledger_check_violations", ()) in scrape(checker, web_b), "the ledger check's metric")
    for node in (web_a, web_b):
        samples = scrape(checker, node)
        assert samples[("cssbuy_ledger_check_violations", ())] == 0
        assert samples[("cssbuy_celery_queue_length", (("queue", "email"),))] >= 0
    # Web A's two processes add up their counters: every request sent to A is counted once.
    sent_to_a = sum(
        person.sent[web_a.url] for person in (inspector_browser, shopper_browser, support_browser, bystander_browser)
    )
    counted = sum(
        value for (name, _labels), value in scrape(checker, web_a).items() if name == "cssbuy_http_requests_total"
    )
    assert counted == sent_to_a
    # No machine kept a photo on its own disk.
    assert not [path for node in cluster.nodes for path in node.media.rglob("*") if path.is_file()]
    distributed_seconds = time.monotonic() - started

    # The same journey on one node, through the same services the views call.
    single = UserFactory(email="single-node@example.com")
    reference = paid_order(shopper=single, **ORDER)
    failed_round(reference, inspector, photos=1, defects=1, measurements=0)
    reference.refresh_from_db()
    quote = refund_selectors.order_quote_refund(order=reference)
    reference, _ = refunds.order_request_refund(
        order=reference, by=single, expected_total=quote.total, expected_status="qc_failed"
    )
    reference, _ = refunds.return_ship(order=reference, by=support, tracking="SF1029384756")
    reference, _ = refunds.return_seller_received(order=reference, by=support)
    reference, _ = refunds.refund_confirm(order=reference, by=support)

    assert order.status == reference.status == Order.Status.REFUNDED
    assert wallet_balance(user=shopper) == wallet_balance(user=single) == Decimal("401.00")
    assert ledger_summary(order) == ledger_summary(reference)
    events = [
        list(Notification.objects.filter(user=user).order_by("id").values_list("event", flat=True))
        for user in (shopper, single)
    ]
    assert events[0] == events[1]
    assert ledger_violations() == []
    print(
        f"\nscale-out: nodes ready in {boot:.1f} s, the journey on 2 web nodes and 2 workers took "
        f"{distributed_seconds:.1f} s; emails sent by worker A / B: {mail_count(worker_a.mail)} / "
        f"{mail_count(worker_b.mail)}; requests to web A: {sent_to_a}"
    )
