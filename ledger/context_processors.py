from functools import cache

from .selectors import wallet_balance


def balance(request) -> dict:
    """The balance shown in the header: a callable the template resolves (once) only where shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return {}
    return {"wallet_balance": cache(lambda: wallet_balance(user=user))}
