"""The one money field every form reads amounts with."""

from decimal import Decimal

import pytest
from django import forms

from common.forms import MoneyField
from tests.money import NEGATIVE, NOT_MONEY


def _clean(field: MoneyField, value: str):
    class Form(forms.Form):
        amount = field

    form = Form({"amount": value})
    return form.cleaned_data["amount"] if form.is_valid() else form.errors["amount"]


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("139", "139.00"), ("139.5", "139.50"), ("139.50", "139.50"), (" 0.01 ", "0.01"), ("007.10", "7.10")],
)
def test_amounts_as_people_type_them(typed, amount):
    value = _clean(MoneyField(), typed)
    assert value == Decimal(amount) and str(value) == amount


@pytest.mark.parametrize("typed", NOT_MONEY + NEGATIVE)
def test_anything_else_is_refused_with_a_message_saying_what_to_type(typed):
    errors = _clean(MoneyField(), typed)
    assert isinstance(errors, list) and len(errors) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e999999", "Enter an amount in yuan, like 139 or 139.50."),
        ("NaN", "Enter an amount in yuan, like 139 or 139.50."),
        ("١٢٣", "Type the amount with the digits 0–9."),
        ("１２", "Type the amount with the digits 0–9."),
        ("1,000", "Type the amount without thousands separators or spaces, like 1000.00."),
        ("10.005", "An amount has at most two digits after the point (fen)."),
        ("12345678901", "This amount is too large: at most 10 digits before the point."),
        ("-0", "Enter an amount of zero or more, without a minus sign."),
    ],
)
def test_the_message_says_what_is_wrong(typed, message):
    assert _clean(MoneyField(), typed) == [message]


def test_signed_amounts_take_a_sign_and_read_minus_zero_as_zero():
    field = MoneyField(signed=True)
    assert _clean(field, "-12.5") == Decimal("-12.50")
    assert _clean(field, "+12.5") == Decimal("12.50")
    zero = _clean(field, "-0.00")
    assert zero == 0 and not zero.is_signed()
    assert _clean(field, "+-1") == ["Enter an amount in yuan, like 139 or 139.50."]


def test_zero_is_refused_where_an_amount_is_needed():
    assert _clean(MoneyField(allow_zero=False), "0.00") == ["Enter an amount other than zero."]
    assert _clean(MoneyField(allow_zero=False, signed=True), "-0") == ["Enter an amount other than zero."]
    assert _clean(MoneyField(), "0") == Decimal("0.00")


def test_a_blank_optional_amount_is_none_and_a_required_one_is_refused():
    assert _clean(MoneyField(required=False), "  ") is None
    assert _clean(MoneyField(), "") == ["This field is required."]


def test_the_input_asks_phones_for_a_decimal_keypad():
    class Form(forms.Form):
        amount = MoneyField()

    html = str(Form()["amount"])
    assert 'inputmode="decimal"' in html and 'type="text"' in html
