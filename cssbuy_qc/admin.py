"""The one place the admins of several apps are composed: each app offers a base admin or mixins
that know nothing of each other, and every hook calls super()."""

from django.contrib import admin

from evidence.admin import EvidenceOrderAdminMixin
from orders.admin import BaseOrderAdmin
from orders.listing_admin import ListingImagesAdminMixin
from orders.models import Order
from qc.admin import OrderQCSummaryMixin, QCOrderAdminMixin
from refunds.admin import RefundsOrderAdminMixin
from tickets.admin import BaseTicketAdmin
from tickets.models import Ticket


@admin.register(Order)
class OrderAdmin(
    EvidenceOrderAdminMixin, ListingImagesAdminMixin, QCOrderAdminMixin, RefundsOrderAdminMixin, BaseOrderAdmin
):
    """Orders' buttons and inlines, and the listing images (orders); Receive also opens the QC
    round (qc); the return buttons, the return's progress and the replacement price (refunds);
    the staff evidence pack (evidence)."""


@admin.register(Ticket)
class TicketAdmin(OrderQCSummaryMixin, BaseTicketAdmin):
    """The support desk, with the linked order's latest QC round beside the thread (qc)."""
