"""A browser's HTTP without the browser: cookies, CSRF tokens, forms read from the page, file
uploads. Each person keeps one cookie jar for every node, as behind one load-balanced name."""

import json
import secrets
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urljoin, urlsplit


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Form:
    action: str
    attrs: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)

    def values(self) -> dict[str, str]:
        return dict(self.fields)


class _Forms(HTMLParser):
    """Every form of a page with what a browser would submit by default: inputs with their
    value (checkboxes only when checked, no buttons), the selected option, textarea text."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        name = attributes.get("name", "")
        if tag == "form":
            self.forms.append(Form(action=attributes.get("action", ""), attrs=attributes))
        elif not self.forms:
            return
        elif tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.forms[-1].fields.append((name, attributes.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((attributes.get("value", ""), "selected" in attributes))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            if chosen:
                self.forms[-1].fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.forms[-1].fields.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is a response the test looks at


class Person:
    """One person's browser: a cookie jar used on every node."""

    def __init__(self, name: str):
        self.name = name
        self.jar = CookieJar()
        self.sent: Counter[str] = Counter()  # requests sent, by node address
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.jar if cookie.name == name), None)

    def request(self, method: str, url: str, *, body: bytes | None = None, headers: dict | None = None) -> Response:
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        parts = urlsplit(url)
        self.sent[f"{parts.scheme}://{parts.netloc}"] += 1
        try:
            with self._opener.open(request, timeout=30) as response:
                return Response(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def get(self, url: str, **headers) -> Response:
        return self.request("GET", url, headers=headers)

    def post(self, url: str, fields: list[tuple[str, str]] | dict, *, files=None, headers=None) -> Response:
        """A form post with the CSRF token of this person's cookie; `files`: [(field, name, bytes, type)]."""
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        pairs = [(k, v) for k, v in pairs if k != "csrfmiddlewaretoken"]
        pairs.append(("csrfmiddlewaretoken", self.cookie("csrftoken") or ""))
        headers = dict(headers or {})
        if files:
            boundary = secrets.token_hex(16)
            body = _multipart(boundary, pairs, files)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urlencode(pairs).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.request("POST", url, body=body, headers=headers)

    def log_in(self, node: str, email: str, password: str) -> Response:
        self.get(urljoin(node, "/accounts/login/"))  # the CSRF cookie
        return self.post(urljoin(node, "/accounts/login/"), {"username": email, "password": password})


def _multipart(boundary: str, fields: list[tuple[str, str]], files) -> bytes:
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content, content_type in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)
