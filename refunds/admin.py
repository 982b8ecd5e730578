from collections.abc import Callable

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdminMixin
from ledger.models import ZERO
from orders.admin import MoneyQuote, MoneyStep
from orders.models import Order
from orders.services import OrderActionError, OrderChangedMeanwhile

from . import selectors, services
from .models import DiscountRequest, ReturnRequest


def _open_request(order: Order) -> ReturnRequest:
    request = selectors.return_open_request(order=order)
    if request is None:
        if Order.objects.filter(pk=order.pk).exclude(status=order.status).exists():
            raise OrderChangedMeanwhile()  # another person closed it since `order` was read
        raise OrderActionError(gettext("This order has no open return request."))
    return request


def _return_credit(order: Order, values: dict) -> MoneyQuote:
    credit = selectors.return_credit(order=order, request=_open_request(order))
    return MoneyQuote(credit.net, tuple((line.label, line.amount) for line in credit.quote.lines))


def _discount_credit(order: Order, values: dict) -> MoneyQuote:
    discount = selectors.open_discount_request(order=order)
    return MoneyQuote(discount.asked_amount if discount is not None else ZERO)


def _restock_credit(order: Order, values: dict) -> MoneyQuote:
    return MoneyQuote(selectors.restock_credit(order=order, request=_open_request(order)))


def _replacement_credit(order: Order, values: dict) -> MoneyQuote:
    return MoneyQuote(services.exchange_replacement_credit(order=order, price=values.get("price")))


class ReturnRequestInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = ReturnRequest
    extra = 0
    fields = [
        "round", "kind", "fault", "quote_display", "new_option", "new_unit_price", "reason", "return_tracking",
        "requested_at", "shipped_at", "seller_received_at", "seller_response", "resolved_at", "outcome",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("quote"))
    def quote_display(self, obj: ReturnRequest):
        lines = format_html_join(
            "", "<li>{}: ¥{}</li>", ((line["label"], line["amount"]) for line in obj.quote.get("lines", []))
        )
        return format_html("<ul>{}</ul><strong>{} ¥{}</strong>", lines, _("Total"), obj.quote["total"])


def discount_summary(discount: DiscountRequest) -> str:
    """The negotiation in one sentence, for the staff recording the seller's answer."""
    asked = gettext("The shopper asks ¥%(amount)s back to keep the item.") % {"amount": discount.asked_amount}
    if discount.reason:
        asked += " " + gettext("Their note: “%(note)s”") % {"note": discount.reason}
    if discount.counter_amount is not None:
        asked += " " + gettext("The seller offered ¥%(amount)s; the shopper has not answered yet.") % {
            "amount": discount.counter_amount
        }
    return asked


class DiscountRequestInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Keep-at-a-discount negotiations of the order; the buttons above record the seller's answer."""

    model = DiscountRequest
    extra = 0
    fields = [
        "number", "status", "asked_amount", "reason", "counter_amount", "seller_response", "credited_amount",
        "requested_at", "seller_answered_at", "resolved_at",
    ]  # fmt: skip
    readonly_fields = fields
    ordering = ["number"]


class RefundsOrderAdminMixin:
    """For the order admin: the return buttons, the return's progress, and the replacement price
    prefilled with what the shopper proposed."""

    def get_staff_actions(self) -> dict[str, Callable]:
        return {**super().get_staff_actions(), **services.STAFF_ACTIONS}

    def get_money_steps(self) -> dict[str, MoneyStep]:
        return {
            **super().get_money_steps(),
            "confirm_refund": _return_credit,
            "compensate": _return_credit,
            "restock": _restock_credit,
            "replacement_shipped": _replacement_credit,
            "accept_discount": _discount_credit,
        }

    def get_inlines(self, request, obj):
        return [*super().get_inlines(request, obj), ReturnRequestInline, DiscountRequestInline]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # While a discount is negotiated, what the shopper asked is said next to the buttons.
        if obj is not None and obj.status in (Order.Status.DISCOUNT_REQUESTED, Order.Status.DISCOUNT_OFFERED):
            discount = selectors.open_discount_request(order=obj)
            if discount is not None:
                context["order_actions_note"] = discount_summary(discount)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def action_initial(self, obj: Order, name: str) -> dict:
        if name == "replacement_shipped":
            request = selectors.return_request_for_order(order=obj)
            return {"price": request.new_unit_price if request and request.new_unit_price else obj.unit_price}
        return super().action_initial(obj, name)


class OverdueFilter(admin.SimpleListFilter):
    title = _("seller response")
    parameter_name = "seller"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue: no seller response"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(selectors.returns_overdue_q(now=timezone.now()))
        return queryset


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order_link", "kind", "fault", "order_status", "requested_at", "shipped_at", "overdue", "outcome"]
    list_filter = [OverdueFilter, "kind", "fault", "order__status"]
    search_fields = ["order__number", "order__shopper__email", "return_tracking"]
    list_select_related = ["order"]
    date_hierarchy = "requested_at"

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, obj: ReturnRequest):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order)

    @admin.display(description=_("order status"))
    def order_status(self, obj: ReturnRequest):
        return obj.order.get_status_display()

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj: ReturnRequest) -> bool:
        return selectors.return_is_overdue(request=obj, now=timezone.now())


class OpenDiscountFilter(admin.SimpleListFilter):
    """Open negotiations by default: the list is support's queue of sellers to ask."""

    title = _("negotiation")
    parameter_name = "negotiation"

    def lookups(self, request, model_admin):
        return [
            ("open", pgettext_lazy("negotiation", "Open")),
            ("closed", pgettext_lazy("negotiation", "Closed")),
            ("all", _("All")),
        ]

    def choices(self, changelist):
        current = self.value() or "open"
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(status__in=DiscountRequest.OPEN)
        if value == "closed":
            return queryset.exclude(status__in=DiscountRequest.OPEN)
        return queryset


@admin.register(DiscountRequest)
class DiscountRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Keep-at-a-discount requests, the oldest first; the answer is recorded on the order's page."""

    list_display = [
        "order_link", "product", "status", "asked_amount", "counter_amount", "credited_amount", "requested_at",
        "waiting",
    ]  # fmt: skip
    list_filter = [OpenDiscountFilter, "status"]
    search_fields = ["order__number", "order__shopper__email"]
    list_select_related = ["order"]
    ordering = ["requested_at", "id"]

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, obj: DiscountRequest):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order)

    @admin.display(description=_("product"))
    def product(self, obj: DiscountRequest):
        return obj.order.product_title

    @admin.display(description=_("waiting"))
    def waiting(self, obj: DiscountRequest):
        return timesince(obj.requested_at, timezone.now()) if obj.is_open else "—"
