"""The demo data (`make run`) shows tickets in every stage."""

import pytest

from demo.builders import seed_demo
from demo.tickets import seed_tickets
from orders.models import Order
from tests.factories import OrderFactory, SupportFactory, UserFactory
from tickets.models import CannedReply, Message, Ticket

S = Ticket.Status


@pytest.mark.django_db
def test_demo_shoppers_have_tickets_in_several_statuses_and_seeding_twice_adds_nothing():
    seed_demo()

    tickets = Ticket.objects.select_related("order", "shopper")
    assert {t.status for t in tickets} == {S.OPEN, S.AWAITING_SUPPORT, S.AWAITING_SHOPPER, S.RESOLVED, S.CLOSED}
    assert {t.shopper.email for t in tickets} == {"shopper@example.com", "shopper2@example.com"}
    qc_ticket = tickets.get(order__status=Order.Status.QC_FAILED, shopper__email="shopper@example.com")
    assert qc_ticket.messages.filter(is_internal=True).exists()
    assert qc_ticket.messages.filter(by_staff=True, is_internal=False).exists()
    assert Ticket.objects.overdue().count() == 1  # the unanswered parcel question
    for ticket in tickets:
        times = list(ticket.messages.values_list("created_at", flat=True))
        assert times == sorted(times)
        assert ticket.opened_at <= ticket.last_message_at
    assert CannedReply.objects.count() == 3

    counts = (Ticket.objects.count(), Message.objects.count(), CannedReply.objects.count())
    assert seed_demo() is False
    assert (Ticket.objects.count(), Message.objects.count(), CannedReply.objects.count()) == counts


@pytest.mark.django_db
def test_seed_tickets_links_the_qc_failed_order_and_is_idempotent():
    shopper, shopper2, support = UserFactory(), UserFactory(), SupportFactory()
    failed = OrderFactory(shopper=shopper, qc_failed=True)
    OrderFactory(shopper=shopper, status=Order.Status.REFUNDED)

    assert seed_tickets(shopper=shopper, shopper2=shopper2, support=support) is True
    assert seed_tickets(shopper=shopper, shopper2=shopper2, support=support) is False

    assert Ticket.objects.count() == 5
    qc_ticket = Ticket.objects.get(order=failed)
    assert (qc_ticket.status, qc_ticket.assignee) == (S.AWAITING_SHOPPER, support)
    assert [m.is_internal for m in qc_ticket.messages.all()] == [False, True, False]
    assert len({t.status for t in Ticket.objects.all()}) == 5
