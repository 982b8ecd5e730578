"""The shopper's order page, as any view that acts on an order shows it again.

Not a view: the order page's own view and the action views of orders and refunds render it with
`order_page`, so a refused action answers with the page the shopper knows and the reason.

Besides the order itself the page shows sections that other apps build (QC rounds, the decision
panel...): `settings.ORDER_PAGE_SECTIONS` lists their builders, `(*, order, user) ->
PageSection | None`, in page order. orders imports none of those apps; the settings wire them.

Each builder puts its section in a slot by the order's status (common.pages.PageSection): what
the shopper must do now (pay, decide after a failed QC) opens the page, with its compact form
in a bar that stays at the bottom of the screen; the QC photos follow; facts and money sit
beside them on a wide screen, under them on a phone; the timeline ends the page.
"""

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from common.errors import ActionRefused
from common.kept_html import CSRF_PLACEHOLDER
from common.pages import compose_page
from ledger.selectors import order_wallet_entries

from .page_cache import order_page_html
from .selectors import order_for_shopper


def order_page(request: HttpRequest, *, number: str, status: int = 200) -> HttpResponse:
    """The shopper's own order (anyone else's is a 404) with everything its page shows; the
    page comes from the cache while nothing it shows has changed (orders.page_cache)."""

    def content() -> str:
        order = order_for_shopper(user=request.user, number=number)
        builders = [import_string(path) for path in settings.ORDER_PAGE_SECTIONS]
        sections = [section for build in builders if (section := build(order=order, user=request.user))]
        context = {
            "order": order,
            "page": compose_page(request, sections, order=order, csrf_token=CSRF_PLACEHOLDER),
            "movements": order_wallet_entries(order_id=order.pk),
            "csrf_token": CSRF_PLACEHOLDER,
        }
        return render_to_string("orders/order_content.html", context, request=request)

    def page(content: str) -> str:
        context = {"number": number, "content": mark_safe(content), "csrf_token": CSRF_PLACEHOLDER}  # noqa: S308
        return render_to_string("orders/order_detail.html", context, request=request)

    return HttpResponse(order_page_html(request, number=number, content=content, page=page), status=status)


def order_refused(request: HttpRequest, *, number: str, error: ActionRefused, status: int = 409) -> HttpResponse:
    """Show the order page again with the reason (409: refused as things stand; 400: the form
    itself could not be read): nothing was changed."""
    messages.error(request, str(error))
    return order_page(request, number=number, status=status)


def order_form_unreadable(request: HttpRequest, *, number: str, form: Form) -> HttpResponse:
    """A one-click form whose hidden values are not what the page sent (a tampered or broken
    page, an amount that is no amount): a 400 that says what was wrong."""
    problems = " ".join(error for errors in form.errors.values() for error in errors)
    error = ActionRefused(
        _("This form sent something we cannot read: %(problems)s Reload the page and try again.")
        % {"problems": problems}
    )
    return order_refused(request, number=number, error=error, status=400)
