"""Helpers several apps need: upload reading and checks, uprighting images, deleting stored files,
FSM helpers. A plain package, not an app: it imports no app of ours, so every app may use it."""
