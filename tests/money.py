"""What people (and scripts) type into money fields, for the tests of every form that reads one."""

# Refused everywhere, whatever the field's sign rules: none of these is an amount in yuan.
NOT_MONEY = [
    "1e999999",  # finite, but too large to quantize: a 500 once
    "1E2",
    "NaN",
    "sNaN",
    "Infinity",
    "-inf",
    "123456789012345",  # too many digits
    "10.005",  # more than two decimals
    "١٢٣",  # Arabic-Indic digits
    "１２",  # full-width digits
    "1,000",  # thousands separator
    "1 000",
    "1\u00a0000",
    "1_000",  # Python's Decimal would take it
    "12\u200b",  # a zero-width space
    "0x10",
    "1..0",
    ".",
    "abc",
    "--1",
]

# Refused where the amount may not be negative.
NEGATIVE = ["-0", "-0.00", "-5", "-0.01"]

# What each page that reads an amount is tried with, one of each kind (the field's own tests
# take them all): a huge exponent, not a number, many digits, too many decimals, other digits,
# a thousands separator.
PAGE_MATRIX = ["1e999999", "NaN", "123456789012345", "10.005", "١٢٣", "1,000"]
POSITIVE = [*PAGE_MATRIX, "-0"]  # where the amount may not be negative (negative zero included)
NONZERO_POSITIVE = [*POSITIVE, "0"]

# What the money field answers (one of these is on the page after a refused amount).
MONEY_MESSAGES = [
    "Enter an amount in yuan, like 139 or 139.50.",
    "Type the amount with the digits 0–9.",
    "Type the amount without thousands separators or spaces, like 1000.00.",
    "An amount has at most two digits after the point (fen).",
    "This amount is too large: at most 10 digits before the point.",
    "Enter an amount of zero or more, without a minus sign.",
    "Enter an amount other than zero.",
]


def says_what_to_type(text: str) -> bool:
    return any(message in text for message in MONEY_MESSAGES)
