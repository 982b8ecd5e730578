from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdminMixin

from . import services
from .forms import BalanceChangeForm
from .models import PERM_RECORD_TOPUP, Account, Entry, LedgerTransaction
from .selectors import wallet_balance


class LedgerTransactionInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The money that moved for a record (an order's payments and refunds), on its admin page."""

    model = LedgerTransaction
    extra = 0
    fields = ["created_at", "kind", "description", "idempotency_key", "created_by"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


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
    change_list_template = "admin/ledger/account/change_list.html"
    list_display = ["__str__", "kind", "current_balance", "created_at"]
    fields = ["kind", "user", "current_balance", "created_at"]
    readonly_fields = fields
    list_filter = ["kind"]
    search_fields = ["user__email"]
    list_select_related = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_balance()

    @admin.display(description=_("balance"), ordering="current_balance")
    def current_balance(self, account: Account):
        """A wallet's cached balance, a platform account's sum of entries."""
        return account.current_balance

    def get_urls(self):
        return [
            path(
                "balance-change/",
                self.admin_site.admin_view(self.balance_change_view),
                name="ledger_account_balance_change",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        can_record = request.user.has_perm(PERM_RECORD_TOPUP)
        return super().changelist_view(request, {**(extra_context or {}), "can_record_balance_change": can_record})

    def balance_change_view(self, request):
        """Record a top-up or adjustment in two steps: the form, then a page showing the amount,
        the shopper and their balance after it, whose button records it (once: the form's token
        is the idempotency key)."""
        if not request.user.has_perm(PERM_RECORD_TOPUP):
            raise PermissionDenied
        form = BalanceChangeForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            return self._balance_change_form(request, form)
        data = form.cleaned_data
        if "edit" in request.POST:
            # Back from the confirmation to change something: the form again, filled in as sent.
            initial = {**data, "shopper": data["shopper"].email, "confirmed": False}
            return self._balance_change_form(request, BalanceChangeForm(initial=initial))
        balance = wallet_balance(user=data["shopper"])
        if balance + data["amount"] < 0:
            form.add_error(
                "amount",
                _("The balance of %(email)s is ¥%(balance)s: an adjustment can take at most that much.")
                % {"email": data["shopper"].email, "balance": balance},
            )
            return self._balance_change_form(request, form)
        if not data["confirmed"]:
            return self._balance_change_confirmation(request, form, balance)
        record = services.wallet_topup if data["kind"] == "topup" else services.wallet_adjust
        try:
            txn, created = record(
                user=data["shopper"],
                amount=data["amount"],
                by=request.user,
                reason=data["reason"],
                token=data["token"],
            )
        except services.LedgerError as error:
            form.add_error(None, str(error))
            return self._balance_change_form(request, form)
        if not created:
            self.message_user(request, _("This form was already recorded; nothing more was added."))
            return redirect("admin:ledger_account_changelist")
        entry = txn.entries.get(account__kind=Account.Kind.WALLET)
        values = {
            "what": txn.get_kind_display(),
            "amount": abs(entry.amount),
            "email": data["shopper"].email,
            "balance": entry.balance_after,
        }
        done = (
            _("%(what)s: ¥%(amount)s credited to %(email)s; balance now ¥%(balance)s.")
            if entry.amount > 0
            else _("%(what)s: ¥%(amount)s taken from the balance of %(email)s; balance now ¥%(balance)s.")
        )
        self.message_user(request, done % values, messages.SUCCESS)
        return redirect("admin:ledger_account_changelist")

    def _balance_change_form(self, request, form: BalanceChangeForm):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Record a top-up or adjustment"),
            "form": form,
            "opts": self.model._meta,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(request, "admin/ledger/account/balance_change.html", context, status=status)

    def _balance_change_confirmation(self, request, form: BalanceChangeForm, balance):
        data = form.cleaned_data
        context = {
            **self.admin_site.each_context(request),
            "title": _("Record this change of balance?"),
            "opts": self.model._meta,
            "form": form,
            "kind_label": dict(form.fields["kind"].choices)[data["kind"]],
            "amount": abs(data["amount"]),
            "credit": data["amount"] > 0,
            "shopper": data["shopper"],
            "balance": balance,
            "balance_after": balance + data["amount"],
        }
        return TemplateResponse(request, "admin/ledger/account/balance_change_confirm.html", context)
