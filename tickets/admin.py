from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.forms import ExpectedStatusForm
from common.locale import format_when
from common.pages import PageSection, render_sections

from . import selectors, services
from .forms import PriorityForm, SupportReplyForm
from .models import PERM_ANSWER, CannedReply, Ticket


class AssignmentFilter(admin.SimpleListFilter):
    title = _("assigned to")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("mine", _("Me")), ("unassigned", _("Nobody"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class DeskQueueFilter(admin.SimpleListFilter):
    """What support should pick up next (as on the staff dashboard)."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("unassigned", _("Active, assigned to nobody")), ("waiting", _("Waiting for support"))]

    def queryset(self, request, queryset):
        if self.value() == "unassigned":
            return queryset.filter(selectors.tickets_unassigned_q())
        if self.value() == "waiting":
            return queryset.filter(selectors.tickets_waiting_for_support_q())
        return queryset


class FirstResponseFilter(admin.SimpleListFilter):
    title = _("first response")
    parameter_name = "first_response"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("due", _("Due, not overdue yet")),
            ("answered", _("Answered")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.overdue(now)
        if self.value() == "due":
            return queryset.awaiting_first_response().filter(first_response_due__gte=now)
        if self.value() == "answered":
            return queryset.filter(first_responded_at__isnull=False)
        return queryset


class BaseTicketAdmin(admin.ModelAdmin):
    """The support queue, and a desk page per ticket (thread, reply, status) instead of a form.

    Not registered here: cssbuy_qc/admin.py adds what other apps know of the ticket's order
    (through `get_order_sections`) and registers the result.
    """

    list_display = [
        "number",
        "subject",
        "shopper",
        "status",
        "priority",
        "category",
        "assignee",
        "first_response",
        "order_link",
        "last_message_at",
    ]
    list_filter = [DeskQueueFilter, AssignmentFilter, FirstResponseFilter, "status", "priority", "category"]
    list_select_related = ["shopper", "assignee", "order"]
    search_fields = ["number", "subject", "shopper__email", "order__number"]
    ordering = ["-priority", "-last_message_at", "-id"]
    list_per_page = 50
    desk_template = "admin/tickets/ticket/desk.html"

    # --- The queue

    @admin.display(description=_("first response"), ordering="first_response_due")
    def first_response(self, obj: Ticket):
        if obj.first_responded_at:
            return gettext("Answered")
        due = format_when(obj.first_response_due)
        if obj.is_overdue:
            return format_html('<strong class="desk-overdue">{} · {}</strong>', gettext("Overdue"), due)
        if obj.is_active:
            return format_html("{} {}", gettext("due"), due)
        return "—"

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, obj: Ticket):
        if obj.order_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order.number
        )

    def has_add_permission(self, request) -> bool:
        return False  # shoppers open tickets on the site

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the thread is the record of what was said

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # every change goes through the desk's buttons, i.e. the services

    def has_answer_permission(self, request) -> bool:
        return request.user.has_perm(PERM_ANSWER)

    # --- The desk: thread, reply, status, priority, assignment, order and QC at hand

    def get_urls(self):
        return [
            path(
                "<path:object_id>/desk/<str:action>/",
                self.admin_site.admin_view(self.desk_action_view),
                name="tickets_ticket_desk_action",
            ),
            *super().get_urls(),
        ]

    def _ticket(self, request, object_id: str) -> Ticket:
        try:
            pk = int(unquote(object_id))
        except ValueError:
            raise Http404 from None
        ticket = selectors.ticket_for_support(pk=pk)
        if ticket is None or not self.has_view_permission(request, ticket):
            raise Http404
        return ticket

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self._ticket(request, object_id)
        if request.method == "POST":
            return self._reply(request, ticket)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        return self._desk(request, ticket, SupportReplyForm())

    def _reply(self, request, ticket: Ticket):
        form = SupportReplyForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._desk(request, ticket, form, status=400)
        try:
            ticket, _message = services.ticket_reply(
                ticket=ticket,
                by=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
                internal=form.is_internal,
                client_key=form.cleaned_data["client_key"],
            )
        except services.TicketActionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._desk(request, self._ticket(request, str(ticket.pk)), form, status=409)
        if form.is_internal:
            self.message_user(request, gettext("Internal note added. The shopper does not see it."), messages.SUCCESS)
        else:
            self.message_user(
                request,
                gettext("Reply sent to %(shopper)s. Ticket %(number)s now waits for the shopper.")
                % {"shopper": ticket.shopper, "number": ticket.number},
                messages.SUCCESS,
            )
        return redirect("admin:tickets_ticket_change", ticket.pk)

    def _desk(self, request, ticket: Ticket, reply_form: SupportReplyForm, status: int = 200):
        can_answer = self.has_answer_permission(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": gettext("Ticket %(number)s") % {"number": ticket.number},
            "subtitle": ticket.subject,
            "original": ticket,
            "ticket": ticket,
            "has_view_permission": True,
            "can_answer": can_answer,
            "reply_form": reply_form,
            "priority_form": PriorityForm(initial={"priority": ticket.priority}),
            "canned_replies": selectors.canned_replies_for(ticket=ticket) if can_answer else [],
            "status_actions": [
                {"name": t.name, "label": services.transition_label(t.name)}
                for t in ticket.get_available_user_status_transitions(request.user)
                if t.name in services.STAFF_ACTIONS
            ]
            if can_answer
            else [],
            "order_sections": render_sections(request, self.get_order_sections(request, ticket)),
        }
        return TemplateResponse(request, self.desk_template, context, status=status)

    def get_order_sections(self, request, obj: Ticket) -> list[PageSection]:
        """What other apps show of the ticket's order beside the thread; mixins add theirs."""
        return []

    def desk_action_view(self, request, object_id: str, action: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self._ticket(request, object_id)
        form = ExpectedStatusForm(request.POST)
        if not form.is_valid():
            message = gettext("This form could not be read. Reload the page and try again.")
            self.message_user(request, message, messages.ERROR)
            return redirect("admin:tickets_ticket_change", ticket.pk)
        expected_status = form.expected_status_or_none()
        try:
            if action in services.STAFF_ACTIONS:
                ticket = services.STAFF_ACTIONS[action](
                    ticket=ticket, by=request.user, expected_status=expected_status
                )
                done = gettext("Ticket %(number)s is now “%(status)s”.") % {
                    "number": ticket.number,
                    "status": ticket.get_status_display(),
                }
            elif action == "assign_me":
                ticket = services.ticket_assign(ticket=ticket, by=request.user, assignee=request.user)
                done = gettext("Ticket %(number)s is assigned to you.") % {"number": ticket.number}
            elif action == "unassign":
                ticket = services.ticket_assign(ticket=ticket, by=request.user, assignee=None)
                done = gettext("Ticket %(number)s is assigned to nobody.") % {"number": ticket.number}
            elif action == "priority":
                form = PriorityForm(request.POST)
                if not form.is_valid():
                    raise services.TicketActionError(gettext("Choose a priority from the list."))
                ticket = services.ticket_set_priority(
                    ticket=ticket, by=request.user, priority=form.cleaned_data["priority"]
                )
                done = gettext("Ticket %(number)s now has priority “%(priority)s”.") % {
                    "number": ticket.number,
                    "priority": ticket.get_priority_display(),
                }
            else:
                raise Http404
        except services.TicketActionError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return redirect("admin:tickets_ticket_change", ticket.pk)


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "body"]
