from django import template

register = template.Library()


@register.filter
def fraction(value) -> str:
    """A box coordinate for SVG/CSS, unlocalised: 0.1234."""
    return f"{float(value):.4f}"
