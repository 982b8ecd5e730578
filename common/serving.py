"""Handing a stored private file to a browser once a view has checked who may have it.

Local storage is streamed from the view (revalidated on every use: the address may be guessed,
so a copy cached for one user of a shared browser is shown only after the view has checked the
viewer again; a 304 then costs no bytes). Object storage gets a redirect to a signed URL that
expires within minutes (settings.QC_SIGNED_URL_SECONDS), never cached.

Pages that show many images (the QC page's thumbnails) check the viewer once and then sign each
image's address (`signed_file_url`): object storage's own signed URL, or for local disk an
address whose signature a view checks without the session or the database
(`signed_file_valid`, `signed_file_response`), handing the bytes to nginx when
X_ACCEL_REDIRECT_PREFIX is set. Such an address is a capability: whoever holds it sees the file
until it expires (SIGNED_FILE_URL_SECONDS, on a step of SIGNED_FILE_URL_STEP so that every page
rendered within one step carries the same addresses and may be cached that long).
"""

import base64
import hmac
import logging
import time
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.crypto import salted_hmac
from django.utils.http import content_disposition_header, quote_etag

logger = logging.getLogger(__name__)


def stored_file_response(
    request: HttpRequest,
    stored: FieldFile,
    *,
    etag: str,
    content_type: str,
    filename: str,
    attachment: bool = False,
) -> HttpResponse:
    """The response that gets `stored` to the browser; 404 when it is gone from the storage.

    `etag` must change whenever the file's content does (a content hash, or a key of a file that
    never changes); `attachment` makes the browser save it rather than show it.
    """
    if not stored:
        raise Http404
    disposition = content_disposition_header(attachment, filename)
    storage = stored.storage
    if isinstance(storage, FileSystemStorage):
        quoted = quote_etag(etag)
        response = get_conditional_response(request, etag=quoted)
        if response is None:
            response = FileResponse(_opened(stored.name, stored.storage), content_type=content_type)
        response["ETag"] = quoted
        response["Cache-Control"] = "private, no-cache"
    else:
        # The signed URL carries the name and disposition, as the storage answers with them.
        url = storage.url(
            stored.name,
            parameters={"ResponseContentDisposition": disposition, "ResponseContentType": content_type},
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"  # the signed URL expires soon
    response["Content-Disposition"] = disposition
    return _kept_to_this_site(response)


def _opened(name: str, storage):
    """`name` opened for reading from `storage`; a 404 when it is lost from the disk (a
    restored backup, a manual cleanup): a missing file, not a crash."""
    try:
        return storage.open(name, "rb")
    except (OSError, SuspiciousFileOperation):
        logger.warning("Stored file %s cannot be opened", name, exc_info=True)
        raise Http404 from None


def _kept_to_this_site(response: HttpResponse) -> HttpResponse:
    """A stored file is shown as what it is and only to pages of this site."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- Signed addresses ------------------------------------------------------------------------

_SIGNING_SALT = "common.serving.signed-file"


def signed_url_expiry(now: float | None = None) -> int:
    """When an address signed now expires (Unix time): at least SIGNED_FILE_URL_SECONDS from
    now, rounded up to the end of the current SIGNED_FILE_URL_STEP, so that the addresses signed
    within one step are the same and what holds them may be cached until the step ends."""
    step = settings.SIGNED_FILE_URL_STEP
    now = time.time() if now is None else now
    return (int(now) // step + 1) * step + settings.SIGNED_FILE_URL_SECONDS


def signed_url_step_left(now: float) -> int:
    """How long HTML holding addresses signed at `now` may be kept (seconds, at least 1): until
    the current step ends, when pages start carrying the next addresses."""
    return max(int(signed_url_expiry(now) - settings.SIGNED_FILE_URL_SECONDS - now), 1)


def file_signature(*, pk: int, name: str, expires: int) -> str:
    """The signature of a local file's address: the row it belongs to, its stored name, its
    expiry, under SECRET_KEY."""
    mac = salted_hmac(_SIGNING_SALT, f"{pk}:{name}:{expires}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def signed_file_valid(*, pk: int, name: str, expires: int, signature: str) -> bool:
    """Whether an address's signature is ours and it has not expired (no database, no session)."""
    if expires < time.time():
        return False
    return hmac.compare_digest(signature, file_signature(pk=pk, name=name, expires=expires))


def signed_file_url(stored: FieldFile, *, pk: int, expires: int, view_name: str) -> str:
    """An address of `stored` that needs no further check until `expires`: object storage signs
    its own; a local file gets the address of `view_name` (taking pk, expires, signature and the
    stored name) with our signature."""
    storage = stored.storage
    if isinstance(storage, FileSystemStorage):
        signature = file_signature(pk=pk, name=stored.name, expires=expires)
        return reverse(view_name, kwargs={"pk": pk, "expires": expires, "signature": signature, "name": stored.name})
    return storage.url(stored.name, expire=max(expires - int(time.time()), 1))


def signed_file_response(name: str, *, expires: int, content_type: str) -> HttpResponse:
    """A local file whose signed address was checked: nginx sends it when X_ACCEL_REDIRECT_PREFIX
    is set (an internal location over MEDIA_ROOT, see deploy/nginx.conf), else this process.
    The browser may keep it until the address expires: the address changes with the next one."""
    prefix = settings.X_ACCEL_REDIRECT_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix + quote(name)
    else:
        response = FileResponse(_opened(name, default_storage), content_type=content_type)
    response["Cache-Control"] = f"private, max-age={max(expires - int(time.time()), 0)}, immutable"
    return _kept_to_this_site(response)
