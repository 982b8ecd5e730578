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

    `slot` says where the page puts it, decided by the builder from what it knows (the order's
    status): `LEAD` opens the page: what the person must do now, or the news they came for;
    `MAIN` is the page's main column; `ASIDE` facts beside it (below it on a phone).
    `bar_template_name`, on a lead section the person must act on, is its compact form for the
    bar that stays at the bottom of the screen while they scroll.
    """

    LEAD = "lead"
    MAIN = "main"
    ASIDE = "aside"

    template_name: str
    context: dict
    slot: str = MAIN
    bar_template_name: str = ""


@dataclass(frozen=True)
class Picture:
    """A picture one app offers for another's page (an order card's photo): where to get it and
    its size in pixels, so the page reserves its space before it loads."""

    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class ComposedPage:
    """The rendered sections of a page, by slot, in the order their builders were listed."""

    lead: list[SafeString]
    main: list[SafeString]
    aside: list[SafeString]
    bar: SafeString | None  # the sticky bar of the first lead section that has one


def render_sections(request: HttpRequest, sections: Iterable[PageSection], **shared) -> list[SafeString]:
    """Each section rendered with its own context plus `shared` (e.g. the order it is about)."""
    return [render_to_string(s.template_name, {**shared, **s.context}, request=request) for s in sections]


def compose_page(request: HttpRequest, sections: Iterable[PageSection], **shared) -> ComposedPage:
    """Render `sections` into their slots (see PageSection), each with `shared` in its context."""
    sections = list(sections)
    by_slot = {
        slot: render_sections(request, [s for s in sections if s.slot == slot], **shared)
        for slot in (PageSection.LEAD, PageSection.MAIN, PageSection.ASIDE)
    }
    barred = next((s for s in sections if s.slot == PageSection.LEAD and s.bar_template_name), None)
    bar = (
        render_to_string(barred.bar_template_name, {**shared, **barred.context}, request=request)
        if barred is not None
        else None
    )
    return ComposedPage(
        lead=by_slot[PageSection.LEAD], main=by_slot[PageSection.MAIN], aside=by_slot[PageSection.ASIDE], bar=bar
    )
