from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from orders.services import OrderActionError

from . import services
from .forms import BalanceChangeForm
from .models import Account, Entry, LedgerTransaction, ReturnRequest


class ReadOnlyAdminMixin:
    """The ledger is append-only: the admin shows it and never edits it."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


class LedgerTransactionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerTransaction
    extra = 0
    fields = ["created_at", "kind", "description", "idempotency_key", "created_by"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


# The order admin gains the money and return buttons and the ledger's view of the order. The
# admin registered so far (orders', perhaps extended by qc) is extended, not replaced.
_order_admin = admin.site.get_model_admin(Order)
admin.site.unregister(Order)


@admin.register(Order)
class OrderAdmin(type(_order_admin)):
    staff_actions = {**_order_admin.staff_actions, **services.STAFF_ACTIONS}
    inlines = [*_order_admin.inlines, ReturnRequestInline, LedgerTransactionInline]

    def action_initial(self, obj: Order, name: str) -> dict:
        if name == "replacement_shipped":
            request = obj.return_requests.order_by("-round").first()
            return {"price": request.new_unit_price if request and request.new_unit_price else obj.unit_price}
        return {}


class OverdueFilter(admin.SimpleListFilter):
    title = _("seller response")
    parameter_name = "seller"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue: no seller response"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            cutoff = timezone.now() - timedelta(hours=settings.SELLER_RESPONSE_HOURS)
            return queryset.filter(
                shipped_at__lte=cutoff,
                seller_received_at__isnull=True,
                seller_responded_at__isnull=True,
                resolved_at__isnull=True,
            )
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
        cutoff = timezone.now() - timedelta(hours=settings.SELLER_RESPONSE_HOURS)
        return bool(
            obj.shipped_at
            and obj.shipped_at <= cutoff
            and not (obj.seller_received_at or obj.seller_responded_at or obj.resolved_at)
        )


class EntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Entry
    extra = 0
    fields = ["account", "amount", "balance_after"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account__user")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "description", "order", "created_by", "idempotency_key"]
    list_filter = ["kind", "created_at"]
    search_fields = ["idempotency_key", "description", "order__number", "entries__account__user__email"]
    list_select_related = ["order", "created_by"]
    inlines = [EntryInline]
    date_hierarchy = "created_at"


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    change_list_template = "admin/refunds/account/change_list.html"
    list_display = ["__str__", "kind", "balance", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__email"]
    list_select_related = ["user"]

    def get_urls(self):
        return [
            path(
                "balance-change/",
                self.admin_site.admin_view(self.balance_change_view),
                name="refunds_account_balance_change",
            ),
            *super().get_urls(),
        ]

    def balance_change_view(self, request):
        if not request.user.has_perm("refunds.record_topup"):
            raise PermissionDenied
        form = BalanceChangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            record = services.wallet_topup if data["kind"] == "topup" else services.wallet_adjust
            try:
                txn = record(
                    user=data["shopper"],
                    amount=data["amount"],
                    by=request.user,
                    reason=data["reason"],
                    token=data["token"],
                )
            except OrderActionError as error:
                form.add_error(None, str(error))
            else:
                if not txn.created:
                    self.message_user(request, _("This form was already recorded; nothing more was added."))
                    return redirect("admin:refunds_account_changelist")
                entry = txn.entries.get(account__kind=Account.Kind.WALLET)
                self.message_user(
                    request,
                    _("%(what)s of ¥%(amount)s recorded for %(email)s; balance now ¥%(balance)s.")
                    % {
                        "what": txn.get_kind_display(),
                        "amount": entry.amount,
                        "email": data["shopper"].email,
                        "balance": entry.balance_after,
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:refunds_account_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Record a top-up or adjustment"),
            "form": form,
            "opts": self.model._meta,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(request, "admin/refunds/account/balance_change.html", context, status=status)
