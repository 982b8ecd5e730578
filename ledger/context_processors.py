from functools import cache

from .selectors import wallet_balance


def balance(request) -> dict:
    """The balance shown in the header: a callable the template resolves (once) only where shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return {}
    shown = getattr(request, "shown_wallet_balance", None)  # read already (orders.page_cache)
    if shown is not None:
        return {"wallet_balance": shown}
    return {"wallet_balance": cache(lambda: wallet_balance(user=user))}
