from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from common.serving import stored_file_response

from . import selectors, services
from .models import EvidencePack
from .pack import Plan, stream_pack


def _back(request, pack_or_order) -> str:
    """Where the evidence was asked from (the order page, or its admin page), if that is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return pack_or_order.get_absolute_url()


def _filename(number: str, audience: str) -> str:
    return f"evidence-{number}{'-staff' if audience == EvidencePack.Audience.STAFF else ''}.zip"


@login_required
@require_POST
def evidence_download(request, number: str):
    """The order's evidence pack: a small order's streamed at once, made while it is sent; a
    large order's built in the background (the requester is notified), or the ready one."""
    order, audience = selectors.order_for_evidence(user=request.user, number=number)
    result = services.evidence_pack_for(order=order, by=request.user, audience=audience, language=get_language())
    if isinstance(result, Plan):
        response = StreamingHttpResponse(stream_pack(result), content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(True, _filename(order.number, audience))
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
    if result.is_ready:
        return redirect(result)
    messages.info(
        request,
        _(
            "This order has many photos, so its evidence pack is being prepared. We will notify you as soon "
            "as it is ready to download; it usually takes a few minutes."
        ),
    )
    return redirect(_back(request, order))


@login_required
@require_safe
def pack(request, key: str):
    """A built pack, for whoever may have it (see selectors.pack_for_viewer)."""
    found = selectors.pack_for_viewer(user=request.user, key=key)
    if not found.is_ready:
        messages.info(request, _("This evidence pack is still being prepared. We will notify you when it is ready."))
        order_page = found.order.get_absolute_url()
        if found.audience == EvidencePack.Audience.STAFF:
            order_page = reverse("admin:orders_order_change", args=[found.order_id])
        return redirect(order_page)
    return stored_file_response(
        request,
        found.file,
        etag=found.sha256,
        content_type="application/zip",
        filename=_filename(found.order.number, found.audience),
        attachment=True,
    )
