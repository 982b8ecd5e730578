from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

# Browser features no page of ours uses, switched off for the page and anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class ResponseHeadersMiddleware:
    """A Permissions-Policy on every response, and `Cache-Control: private, no-store` on what a
    logged-in user gets unless the view chose its own caching: after logging out on a shared
    device, Back (or the history) must not show a balance, an order or a download from the
    browser's cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # The view's own choice first: looking the user up costs the session and user queries,
        # which a view answering without them (a signed file address) must not pay.
        if "Cache-Control" in response:
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "private, no-store"
        return response
