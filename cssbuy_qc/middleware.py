from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase
from django.utils.translation import gettext as _


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp, with the one exception the Django admin needs: inline styles under /admin/.

    Scripts stay 'self' only everywhere, admin included.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith("/admin/"):
            parts.update = {**(parts.update or {}), "style-src": ["'unsafe-inline'"]}
        return parts


class RequestGuardMiddleware:
    """Refuse, before any view runs, what no page of ours accepts:

    - a body larger than MAX_REQUEST_BYTES (413): uploads are streamed to temporary files before
      their own size checks run, so this stops a huge body from filling the disk first (a proxy
      in front should cap it as well);
    - a NUL character in the path or anywhere in the query string, every value of a repeated
      key included (400): PostgreSQL refuses it in text, so any lookup or admin filter using it
      would fail. This is the one check for addresses; every posted value goes through a Django
      form, whose fields refuse NUL themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            message = _("This upload is too large: at most %(mb)s MB per request.") % {
                "mb": settings.MAX_REQUEST_BYTES // (1024 * 1024)
            }
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(_("This address contains characters that are not allowed."))
        return self.get_response(request)
