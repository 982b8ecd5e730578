import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from storages.backends.s3 import S3Storage

from common.errors import ActionRefused
from common.locale import format_when
from common.serving import signed_file_response, signed_file_valid
from orders.pages import order_form_unreadable, order_refused
from orders.selectors import order_for_shopper

from . import selectors, services
from .exceptions import QCError
from .forms import CompareForm, PhotoRequestForm
from .models import PERM_VIEW_PHOTO, RENDITIONS

logger = logging.getLogger(__name__)


@login_required
@require_safe
def inspection_detail(request, pk: int):
    qc_round = selectors.inspection_for_viewer(user=request.user, pk=pk)
    context = {"qc_round": qc_round, "order": qc_round.inspection.order}
    return render(request, "qc/inspection_detail.html", context)


@login_required
@require_safe
def photo(request, pk: int, rendition: str):
    """One rendition of a photo, for its order's shopper or QC staff; anyone else gets 404.

    Local storage is streamed from here; object storage gets a redirect to a signed URL that
    expires within minutes. The original is for staff only. `?download=1` asks the browser to
    save it as a file rather than show it.
    """
    if rendition not in (*RENDITIONS, "original"):
        raise Http404
    photo = selectors.photo_for_viewer(user=request.user, pk=pk)
    if rendition == "original" and not request.user.has_perm(PERM_VIEW_PHOTO):
        raise Http404
    stored = getattr(photo, rendition)
    if not stored:
        raise Http404  # renditions not made yet; pages show a placeholder meanwhile
    extension = stored.name.rsplit(".", 1)[-1]
    download = request.GET.get("download") == "1"
    disposition = f'{"attachment" if download else "inline"}; filename="{photo.key[:12]}-{rendition}.{extension}"'
    storage = stored.storage
    if isinstance(storage, FileSystemStorage):
        # Revalidated on every use: the address is guessable, so a copy cached for one user of
        # a shared browser is shown only after this view has checked the viewer again (a 304
        # then costs no bytes). A rendition never changes once made.
        etag = quote_etag(f"{photo.sha256[:32]}-{rendition}")
        response = get_conditional_response(request, etag=etag)
        if response is None:
            content_type = photo.content_type if rendition == "original" else "image/jpeg"
            try:
                opened = stored.open("rb")
            except (OSError, SuspiciousFileOperation):
                # Lost from the disk (restored backup, manual cleanup): a missing image, not a crash.
                logger.warning("QC photo %s: stored file %s cannot be opened", photo.pk, stored.name, exc_info=True)
                raise Http404 from None
            response = FileResponse(opened, content_type=content_type)
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
    else:
        url = stored.url
        if download and isinstance(storage, S3Storage):
            # The storage answers the browser itself, so the signed URL asks it for the download
            # (a link's `download` attribute does not survive a redirect to another origin).
            url = storage.url(stored.name, parameters={"ResponseContentDisposition": disposition})
        response = HttpResponseRedirect(url)
        # The signed URL expires soon: never cache the redirect.
        response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = disposition
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_safe
def photo_file(request, pk: int, expires: int, signature: str, name: str):
    """A rendition by the signed address a QC page put in its <img> once it had checked the
    viewer: the signature (photo, stored name, expiry) is the permission, so neither the session
    nor the database is read. A tampered, borrowed or expired address is a 404."""
    if not signed_file_valid(pk=pk, name=name, expires=expires, signature=signature):
        raise Http404
    return signed_file_response(name, expires=expires, content_type="image/jpeg")


photo_file.reads_no_user = True  # accounts.middleware.UserLocaleMiddleware leaves it alone


@login_required
@require_POST
def order_photo_request(request, number: str):
    """The shopper asks for more photos or measurements of the order's latest QC round."""
    order = order_for_shopper(user=request.user, number=number)
    form = PhotoRequestForm(request.POST)
    if not form.is_valid():
        typed = form.typing_errors()
        if typed:
            return order_refused(request, number=number, error=QCError(" ".join(typed)), status=400)
        return order_form_unreadable(request, number=number, form=form)
    data = form.cleaned_data
    try:
        order, photo_request, _created = services.photo_request_create(
            order=order,
            by=request.user,
            note=data["note"],
            photos=data["photos"],
            token=data["token"],
            inspection_id=data["inspection"],
            expected_unit_fee=data["expected_unit_fee"],
            expected_status=form.expected_status_or_none(),
        )
    except ActionRefused as error:
        return order_refused(request, number=number, error=error)
    due = format_when(photo_request.due_at)
    messages.success(
        request,
        _("Request sent. Our inspectors answer by %(due)s; your decision deadline is paused until then.")
        % {"due": due},
    )
    return redirect(order)


@login_required
@require_safe
def compare(request, number: str):
    """A listing image and a QC photo of the order side by side, or one over the other with a
    slider; `?listing=<id>&photo=<id>` chooses the pair (the page's script changes it in place)."""
    form = CompareForm(request.GET)
    form.is_valid()  # a value that cannot be read is left unchosen; the others still count
    chosen = form.cleaned_data
    comparison = selectors.comparison_for_viewer(
        user=request.user, number=number, listing_pk=chosen.get("listing"), photo_pk=chosen.get("photo")
    )
    context = {"comparison": comparison, "order": comparison.order, "mode": chosen.get("mode") or "side"}
    return render(request, "qc/compare.html", context)
