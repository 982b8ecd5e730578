from django import template

register = template.Library()


@register.filter
def fraction(value) -> str:
    """A box coordinate for SVG/CSS, unlocalised: 0.1234."""
    return f"{float(value):.4f}"


@register.filter
def photo_label(photo, number: int) -> str:
    """A photo as the inspection page names it: "Photo 3 · Front" (never its internal key)."""
    return photo.label(number)
