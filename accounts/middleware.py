from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from common.locale import user_language, user_time_zone


class UserLocaleMiddleware:
    """Render each request in the signed-in person's language and time zone.

    Runs after LocaleMiddleware, which picked a language from the cookie set by the language
    switch or from Accept-Language: a language saved on the user wins over both, so it follows
    them to a new browser. Someone who chose none keeps what LocaleMiddleware picked. Times are
    in the user's zone, or in China time (the site's zone) until their browser has reported one;
    staff see China time unless they chose another zone. Reads the user row the authentication
    middleware loads anyway: no query of its own.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.deactivate()  # the site's zone until process_view knows whose request it is
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # A view that answers without knowing who asks (a signed file address) must not pay for
        # the session and user queries that looking at request.user costs.
        if getattr(view_func, "reads_no_user", False):
            return
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user_language(user)
            if language and language != translation.get_language():
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
            timezone.activate(user_time_zone(user))
