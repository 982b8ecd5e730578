"""The one place the admins of several apps are composed: each app offers a base admin or mixins
that know nothing of each other, and every hook calls super()."""

from django.contrib import admin

from common.pages import PageSection
from evidence.admin import EvidenceOrderAdminMixin
from orders.admin import BaseOrderAdmin
from orders.listing_admin import ListingImagesAdminMixin
from orders.models import Order
from qc import selectors as qc_selectors
from qc.admin import OrderQCSummaryMixin, QCOrderAdminMixin
from refunds.admin import RefundsOrderAdminMixin
from tickets.admin import BaseTicketAdmin
from tickets.models import Ticket


class OrderQCRoundsMixin:
    """For the order admin: every QC round of the order (photos, defects, verdict, inspector)
    beside its buttons, read through qc's selectors, so that orders never imports qc."""

    def get_order_sections(self, request, obj: Order) -> list[PageSection]:
        rounds = qc_selectors.rounds_for_staff(order=obj)
        return [
            *super().get_order_sections(request, obj),
            PageSection("admin/orders/order/qc_rounds.html", {"qc_rounds": rounds}),
        ]


@admin.register(Order)
class OrderAdmin(
    OrderQCRoundsMixin,
    EvidenceOrderAdminMixin,
    ListingImagesAdminMixin,
    QCOrderAdminMixin,
    RefundsOrderAdminMixin,
    BaseOrderAdmin,
):
    """Orders' buttons and inlines, and the listing images (orders); Receive also opens the QC
    round, and the QC rounds are shown beside the buttons (qc); the return buttons, the return's
    progress, the replacement price and what the money buttons would credit (refunds); the
    staff evidence pack (evidence)."""


@admin.register(Ticket)
class TicketAdmin(OrderQCSummaryMixin, BaseTicketAdmin):
    """The support desk, with the linked order's latest QC round beside the thread (qc)."""
