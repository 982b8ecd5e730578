class ActionRefused(Exception):
    """A service refused what someone asked; the message is fit to show the person who tried it.

    Each app raises its own subclass (OrderActionError, LedgerError, ...); a view that calls
    services of several apps, such as paying an order from the balance, catches this one.
    """
