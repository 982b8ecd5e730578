"""Handing a stored private file to a browser once a view has checked who may have it.

Local storage is streamed from the view (revalidated on every use: the address may be guessed,
so a copy cached for one user of a shared browser is shown only after the view has checked the
viewer again; a 304 then costs no bytes). Object storage gets a redirect to a signed URL that
expires within minutes (settings.QC_SIGNED_URL_SECONDS), never cached.
"""

import logging

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import get_conditional_response
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
            try:
                opened = stored.open("rb")
            except (OSError, SuspiciousFileOperation):
                # Lost from the disk (restored backup, manual cleanup): a missing file, not a crash.
                logger.warning("Stored file %s cannot be opened", stored.name, exc_info=True)
                raise Http404 from None
            response = FileResponse(opened, content_type=content_type)
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
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = disposition
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
