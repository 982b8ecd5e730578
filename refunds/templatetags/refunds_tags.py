from django import template

register = template.Library()


@register.filter
def absolute(value):
    """−¥12.00 is written with the sign outside the figure."""
    return abs(value)
