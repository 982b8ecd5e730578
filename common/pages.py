from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class PageSection:
    """A part of a page that another app fills in: its template and that template's context.

    Pages that show what several apps know (the shopper's order page, the ticket desk) take a
    list of these, built by the owning apps' selectors and composed where the site is wired.
    """

    template_name: str
    context: dict


def render_sections(request: HttpRequest, sections: Iterable[PageSection], **shared) -> list[SafeString]:
    """Each section rendered with its own context plus `shared` (e.g. the order it is about)."""
    return [render_to_string(s.template_name, {**shared, **s.context}, request=request) for s in sections]
