from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("qc/components/rounds.html")
def qc_rounds(order) -> dict:
    """The shopper's QC section of an order page: four queries, however much evidence."""
    return {"order": order, "rounds": selectors.inspections_for_shopper(order=order)}


@register.simple_tag
def qc_queue_count() -> int:
    return selectors.qc_queue().count()


@register.filter
def fraction(value) -> str:
    """A box coordinate for SVG/CSS, unlocalised: 0.1234."""
    return f"{float(value):.4f}"
