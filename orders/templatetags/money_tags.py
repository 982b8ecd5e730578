"""Amounts as the shopper reads them."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """¥347.00; a negative amount is written with the minus outside the figure: −¥12.00."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    sign = "−" if amount < 0 else ""
    return f"{sign}¥{abs(amount):.2f}"


@register.filter
def absolute(value):
    return abs(value)
