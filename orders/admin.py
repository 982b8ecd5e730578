from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import admin, messages
from django.db import models
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bulkjobs.admin import BulkJobAdminMixin
from common.errors import ActionRefused
from common.forms import MoneyField
from common.pages import PageSection, render_sections
from ledger.admin import LedgerTransactionInline
from ledger.models import ZERO
from ledger.selectors import order_last_wallet_entry, wallet_balance

from . import selectors, services
from .forms import StaffTransitionForm
from .models import PERM_PURCHASE, PERM_RECEIVE, Order, OrderEvent


@dataclass(frozen=True)
class MoneyQuote:
    """What a staff button would move on the shopper's balance, as its confirmation shows it."""

    amount: Decimal  # credited to the shopper; negative: taken from their balance
    lines: tuple[tuple[str, Decimal], ...] = ()  # what the amount is made of, if it has parts


# A money step's quote: from the order and the values its button sends (its transition's needs).
MoneyStep = Callable[[Order, dict], MoneyQuote]


class DecisionFilter(admin.SimpleListFilter):
    """QC-failed orders by how soon the shopper's decision window closes."""

    title = _("decision window")
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return [
            ("expiring", _("Closes within %(hours)s hours") % {"hours": selectors.DECISION_EXPIRING_HOURS}),
            ("open", _("Still open")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "expiring":
            return queryset.filter(selectors.decisions_expiring_q(now=now))
        if self.value() == "open":
            return queryset.filter(status=Order.Status.QC_FAILED, decision_deadline__gt=now)
        return queryset


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "note", "shopper_visible"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class BaseOrderAdmin(BulkJobAdminMixin, admin.ModelAdmin):
    """The order admin of the orders app: its buttons, bulk actions and inlines.

    Not registered here: cssbuy_qc/admin.py composes it with the mixins of the apps built on
    orders (each hook calls super()) and registers the result.
    """

    change_form_template = "admin/orders/order/change_form.html"
    list_display = ["number", "product_title", "shopper", "status", "total_display", "status_changed_at", "created_at"]
    list_filter = ["status", DecisionFilter, "marketplace", "created_at"]
    search_fields = ["number", "product_title", "shopper__email", "domestic_tracking", "return_tracking"]
    list_select_related = ["shopper"]
    date_hierarchy = "created_at"
    readonly_fields = ["number", "status", "status_changed_at", "created_at", "decision_deadline"]
    fieldsets = (
        (None, {"fields": ("number", "shopper", "status", "status_changed_at", "decision_deadline", "created_at")}),
        (
            _("Product"),
            {"fields": ("product_title", "marketplace", "product_url", "option_text", "seller_name", "remark")},
        ),
        (_("Amounts (CNY)"), {"fields": ("unit_price", "quantity", "domestic_shipping")}),
        (_("Shipping"), {"fields": ("domestic_tracking", "return_tracking")}),
    )
    inlines = [OrderEventInline, LedgerTransactionInline]
    actions = ["purchase_selected", "receive_selected"]
    bulk_refusals = (ActionRefused,)
    # Amounts are read as strictly here as anywhere (no exponents, separators or other digits).
    money_fields = {"unit_price": {"allow_zero": False}, "domestic_shipping": {}}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description=_("total"))
    def total_display(self, obj: Order):
        return obj.total

    def get_staff_actions(self) -> dict[str, Callable]:
        """Transition name -> service, for the buttons on the change page and the bulk actions.
        Mixins of the apps built on orders add theirs and replace what they extend."""
        return dict(services.STAFF_ACTIONS)

    def get_money_steps(self) -> dict[str, MoneyStep]:
        """Transition name -> what its button would move on the shopper's balance now, computed
        as its service computes it. Such a button first shows that amount and the shopper and asks
        for confirmation; the service refuses if the amount changed meanwhile (expected_credit).
        Mixins of the apps built on orders add theirs."""

        def refund_of_payment(order: Order, values: dict) -> MoneyQuote:
            return MoneyQuote(services.order_cancel_credit(order=order))

        return {"cancel": refund_of_payment, "mark_out_of_stock": refund_of_payment}

    def get_order_sections(self, request, obj: Order) -> list[PageSection]:
        """What other apps show of the order beside its buttons (its QC rounds...); mixins add theirs."""
        return []

    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="orders_order_transition",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            staff_actions = self.get_staff_actions()
            money_steps = self.get_money_steps()
            context["order_actions"] = [
                {
                    "name": t.name,
                    "label": services.transition_label(t.name),
                    "needs": services.transition_needs(t.name),
                    "initial": self.action_initial(obj, t.name),
                    "url": reverse("admin:orders_order_transition", args=[obj.pk, t.name]),
                    "moves_money": t.name in money_steps,
                }
                for t in obj.get_available_user_status_transitions(request.user)
                if t.name in staff_actions
            ]
            context["order_moves_money"] = any(action["moves_money"] for action in context["order_actions"])
            context["order_sections"] = render_sections(request, self.get_order_sections(request, obj), order=obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.money_fields:
            return MoneyField(
                label=capfirst(db_field.verbose_name),
                help_text=db_field.help_text,
                **self.money_fields[db_field.name],
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Who the order belongs to never changes, and what was paid is fixed once it is paid:
        # money moves only through the ledger, never by editing a price here.
        fields = [*self.readonly_fields, "shopper"]
        if obj is not None and obj.status != Order.Status.PENDING_PAYMENT:
            fields += ["unit_price", "quantity", "domestic_shipping"]
        return fields

    def has_add_permission(self, request) -> bool:
        return False  # orders are placed by shoppers

    def save_model(self, request, obj, form, change):
        # Write only the fields this form changed: a full save would overwrite what services
        # changed meanwhile (status, tracking, deadlines), and the status is theirs alone.
        changed = [name for name in form.changed_data if name in form.fields]
        if changed:
            Order.objects.filter(pk=obj.pk).update(**{name: getattr(obj, name) for name in changed})

    def action_initial(self, obj: Order, name: str) -> dict:
        """Values to prefill in a staff action's form; apps built on orders add theirs."""
        return {}

    def transition_view(self, request, pk: int, name: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self.get_object(request, str(pk))
        if order is None or not self.has_view_permission(request, order):
            raise Http404
        service = self.get_staff_actions().get(name)
        if service is None:
            raise Http404
        form = StaffTransitionForm(request.POST)
        if not form.is_valid():
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else None
                message = " ".join(errors)
                self.message_user(request, f"{label}: {message}" if label else message, messages.ERROR)
            return redirect("admin:orders_order_change", order.pk)
        expected_status = form.expected_status_or_none()
        needs = {need: form.cleaned_data[need] for need in services.transition_needs(name)}
        kwargs = {"order": order, "by": request.user, "expected_status": expected_status, **needs}
        money_step = self.get_money_steps().get(name)
        try:
            if money_step is not None:
                quote = self._money_quote(request, order, name, expected_status, money_step, needs)
                confirmed = form.cleaned_data["expected_credit"]
                if confirmed is None and quote.amount != ZERO:
                    return self.money_confirmation(request, order, name, form, quote)
                kwargs["expected_credit"] = quote.amount if confirmed is None else confirmed
            outcome = service(**kwargs)
        except ActionRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect("admin:orders_order_change", order.pk)
        # Steps that also make something (a return, a credit) return (order, what they made).
        order = outcome[0] if isinstance(outcome, tuple) else outcome
        done = gettext("Order %(number)s is now “%(status)s”.") % {
            "number": order.number,
            "status": order.get_status_display(),
        }
        if money_step is not None and kwargs["expected_credit"] != ZERO:
            done = f"{self._money_moved(order)} {done}"
        self.message_user(request, done, messages.SUCCESS)
        return redirect("admin:orders_order_change", order.pk)

    def _money_quote(
        self, request, order: Order, name: str, expected_status: str | None, step: MoneyStep, needs: dict
    ) -> MoneyQuote:
        """The amount to confirm, once the step is known to be possible: nobody is asked to
        confirm what would then be refused."""
        if expected_status not in (None, order.status):
            raise services.OrderChangedMeanwhile()
        services.order_check_transition(order=order, name=name, by=request.user)
        return step(order, needs)

    def _money_moved(self, order: Order) -> str:
        """What the step just moved and the shopper's balance after it, from the ledger."""
        entry = order_last_wallet_entry(order_id=order.pk)
        values = {"amount": abs(entry.amount), "email": entry.account.user.email, "balance": entry.balance_after}
        if entry.amount > ZERO:
            return gettext("¥%(amount)s credited to %(email)s; balance now ¥%(balance)s.") % values
        return gettext("¥%(amount)s taken from the balance of %(email)s; balance now ¥%(balance)s.") % values

    def money_confirmation(self, request, order: Order, name: str, form: StaffTransitionForm, quote: MoneyQuote):
        """The page that asks staff to confirm the amount and the shopper before money moves: it
        posts the same button again with the amount it showed. Works without JavaScript."""
        balance = wallet_balance(user=order.shopper)
        label = services.transition_label(name)
        needs = services.transition_needs(name)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": order,
            "title": gettext("Confirm “%(action)s” for order %(number)s") % {"action": label, "number": order.number},
            "action_label": label,
            "action_url": reverse("admin:orders_order_transition", args=[order.pk, name]),
            "expected_status": order.status,
            "needs": [(need, form.cleaned_data[need]) for need in needs if form.cleaned_data[need] not in (None, "")],
            "quote": quote,
            "amount": abs(quote.amount),
            "credit": quote.amount > ZERO,
            "shopper": order.shopper,
            "balance": balance,
            "balance_after": balance + quote.amount,
        }
        return TemplateResponse(request, "admin/orders/order/confirm_money.html", context)

    # Bulk actions run in the background (each order's change and its notification take time,
    # more than a request should): the answer is a progress page.
    @admin.action(description=_("Mark selected orders purchased"), permissions=["purchase"])
    def purchase_selected(self, request, queryset):
        return self.start_bulk_job(
            request,
            queryset,
            service=self.get_staff_actions()["purchase"],
            description=_("Mark selected orders purchased"),
        )

    @admin.action(description=_("Receive selected orders at the warehouse"), permissions=["receive"])
    def receive_selected(self, request, queryset):
        return self.start_bulk_job(
            request,
            queryset,
            service=self.get_staff_actions()["receive"],
            description=_("Receive selected orders at the warehouse"),
        )

    def has_purchase_permission(self, request) -> bool:
        return request.user.has_perm(PERM_PURCHASE)

    def has_receive_permission(self, request) -> bool:
        return request.user.has_perm(PERM_RECEIVE)
