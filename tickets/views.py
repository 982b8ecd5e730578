from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.forms import ExpectedStatusForm

from . import selectors, services
from .forms import ReplyForm, TicketOpenForm


@login_required
@require_GET
def ticket_list(request):
    page = Paginator(selectors.tickets_for_shopper(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "tickets/ticket_list.html", {"page_obj": page})


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    orders = selectors.shopper_orders_for_tickets(user=request.user)
    if request.method == "POST":
        form = TicketOpenForm(request.POST, request.FILES, orders=orders)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_open(
                    shopper=request.user,
                    order=data["order"],
                    category=data["category"],
                    subject=data["subject"],
                    body=data["body"],
                    files=data["attachments"],
                    client_key=data["client_key"],
                )
            except services.TicketActionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Ticket %(number)s is open. We answer within %(hours)d hours.")
                    % {"number": ticket.number, "hours": settings.TICKET_FIRST_RESPONSE_HOURS},
                )
                return redirect(ticket)
        return render(request, "tickets/ticket_form.html", {"form": form}, status=400)
    order = selectors.shopper_order_for_ticket(user=request.user, number=request.GET.get("order"))
    initial = {"category": selectors.suggested_category(order=order)}
    if order is not None:
        initial |= {"order": order, "subject": _("About “%(product)s”") % {"product": order.product_title}}
    return render(request, "tickets/ticket_form.html", {"form": TicketOpenForm(orders=orders, initial=initial)})


def _detail(request, number: str, *, form: ReplyForm | None = None, status: int = 200):
    ticket = selectors.ticket_for_shopper(user=request.user, number=number)
    return render(
        request,
        "tickets/ticket_detail.html",
        {"ticket": ticket, "form": form or ReplyForm()},
        status=status,
    )


@login_required
@require_GET
def ticket_detail(request, number: str):
    return _detail(request, number)


@login_required
@require_POST
def ticket_reply(request, number: str):
    ticket = selectors.ticket_for_shopper(user=request.user, number=number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, number, form=form, status=400)
    try:
        services.ticket_reply(
            ticket=ticket,
            by=request.user,
            body=form.cleaned_data["body"],
            files=form.cleaned_data["attachments"],
            client_key=form.cleaned_data["client_key"],
        )
    except services.TicketActionError as error:
        messages.error(request, str(error))
        return _detail(request, number, form=form, status=409)
    messages.success(request, _("Your reply was sent. Support will answer here."))
    return redirect(ticket)


@login_required
@require_POST
def ticket_resolve(request, number: str):
    ticket = selectors.ticket_for_shopper(user=request.user, number=number)
    form = ExpectedStatusForm(request.POST)
    if not form.is_valid():
        return _detail(request, number, status=400)
    try:
        services.ticket_resolve(ticket=ticket, by=request.user, expected_status=form.expected_status_or_none())
    except services.TicketActionError as error:
        messages.error(request, str(error))
        return _detail(request, number, status=409)
    messages.success(
        request, _("Ticket %(number)s is marked resolved. Reply if you need more help.") % {"number": ticket.number}
    )
    return redirect(ticket)


@login_required
@require_GET
def attachment_download(request, number: str, key: str):
    """Only the ticket's shopper (never for an internal note) and support staff; others get 404."""
    attachment = selectors.attachment_for_user(user=request.user, number=number, key=key)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # The file is shown as itself only; were it ever rendered as a page, it could run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Never stored by the browser: a download of a logged-in user (see ResponseHeadersMiddleware).
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["Cookie"])
    return response
