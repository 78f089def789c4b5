"""Row validation rules (hub.domain.catalogue): one reason per refused row, stable wording."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.domain.catalogue import (
    FeedOptions,
    FieldError,
    OfferRow,
    RowReject,
    RowValidator,
    gtin_problem,
    normalize_availability,
    parse_amount,
    parse_quantity,
)


def check(
    *,
    sku: str = "A",
    quantity: str = "5",
    cost: str = "10.00",
    sale_price: str = "",
    currency: str = "USD",
    shipping: str = "",
    gtin: str = "",
    title: str = "T",
    countries: str = "",
    availability: str = "",
    options: FeedOptions | None = None,
    validator: RowValidator | None = None,
    line: int = 2,
) -> OfferRow | RowReject:
    v = validator or RowValidator(options or FeedOptions())
    return v.validate(
        line, sku, quantity, cost, sale_price, currency, shipping, gtin, title, countries, availability
    )


def reason(**kwargs: object) -> tuple[str, str]:
    result = check(**kwargs)  # type: ignore[arg-type]
    assert isinstance(result, RowReject), result
    return result.field, result.reason


def test_a_plain_row_becomes_an_offer() -> None:
    offer = check(
        sku=" A-1 ", quantity="7", cost="12.50", shipping="4.95", title=" Mug ", gtin="4006381333931"
    )
    assert offer == OfferRow(
        2, "A-1", 7, Decimal("12.50"), "USD", Decimal("4.95"), "Mug", "4006381333931", (), "in_stock"
    )


@pytest.mark.parametrize(
    ("text", "amount", "code"),
    [
        ("15.00 USD", "15.00", "USD"),
        ("USD 15.00", "15.00", "USD"),
        ("15.00usd", "15.00", "USD"),
        ("15,00", "15.00", None),
        ("1.234,56", "1234.56", None),
        ("1,234.56", "1234.56", None),
        (" 7 ", "7", None),
    ],
)
def test_amount_spellings(text: str, amount: str, code: str | None) -> None:
    assert parse_amount(text) == (Decimal(amount), code)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1,000", "ambiguous decimal separator in '1,000'"),
        ("$15", "price is not an amount: '$15'"),
        ("15 XYZ", "unknown currency 'XYZ'"),
        ("", "missing price"),
        ("1 2 3", "price is not an amount: '1 2 3'"),
    ],
)
def test_amount_refusals(text: str, why: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_amount(text)
    assert caught.value.reason == why


def test_price_with_code_sets_the_currency() -> None:
    offer = check(cost="15.00 GBP", currency="", options=FeedOptions(currency="USD"))
    assert isinstance(offer, OfferRow) and (offer.cost, offer.currency) == (Decimal("15.00"), "GBP")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"sku": "  "}, ("sku", "missing SKU")),
        ({"quantity": "1.5"}, ("quantity", "quantity is not a whole number")),
        ({"quantity": "-1"}, ("quantity", "quantity is negative")),
        ({"quantity": "lots"}, ("quantity", "quantity is not a whole number")),
        ({"quantity": ""}, ("quantity", "missing quantity")),
        ({"cost": "0"}, ("cost", "cost is not positive")),
        ({"cost": "-3"}, ("cost", "cost is not positive")),
        ({"cost": "NaN"}, ("cost", "cost is not an amount: 'NaN'")),
        ({"cost": "1.23456"}, ("cost", "cost has more than 4 decimals")),
        ({"cost": "1e13"}, ("cost", "cost is not an amount: '1e13'")),
        ({"cost": "99999999999999"}, ("cost", "cost is too large")),
        ({"currency": "XYZ"}, ("currency", "unknown currency 'XYZ'")),
        ({"currency": ""}, ("currency", "missing currency")),
        (
            {"cost": "15 EUR", "currency": "USD"},
            ("currency", "price currency EUR differs from currency column USD"),
        ),
        ({"shipping": "-1"}, ("shipping", "shipping is negative")),
        ({"shipping": "3 EUR"}, ("shipping", "shipping currency EUR differs from price currency USD")),
        ({"availability": "maybe", "quantity": ""}, ("availability", "unknown availability 'maybe'")),
    ],
)
def test_refusals_have_field_and_reason(kwargs: dict[str, str], expected: tuple[str, str]) -> None:
    assert reason(**kwargs) == expected


def test_whole_number_spellings_of_quantity() -> None:
    assert parse_quantity("5.0") == 5
    assert parse_quantity(" 1_000 ") == 1000
    with pytest.raises(FieldError):
        parse_quantity("1e400000")


def test_repeat_is_rejected_with_the_first_line_and_the_first_stays() -> None:
    v = RowValidator(FeedOptions())
    first = check(validator=v, line=2)
    second = check(validator=v, line=9, quantity="3")
    assert isinstance(first, OfferRow)
    assert second == RowReject(9, "sku", "SKU repeated (first on line 2)", "A")


def test_a_rejected_first_row_still_claims_its_sku() -> None:
    v = RowValidator(FeedOptions())
    assert isinstance(check(validator=v, line=2, quantity="-1"), RowReject)
    assert check(validator=v, line=3) == RowReject(3, "sku", "SKU repeated (first on line 2)", "A")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in_stock", "in_stock"),
        ("in stock", "in_stock"),
        ("InStock", "in_stock"),
        ("https://schema.org/OutOfStock", "out_of_stock"),
        ("out of stock", "out_of_stock"),
        ("preorder", "preorder"),
        ("back order", "backorder"),
        ("soon", None),
    ],
)
def test_availability_spellings(text: str, expected: str | None) -> None:
    assert normalize_availability(text) == expected


def test_availability_decides_quantity_by_supplier_settings() -> None:
    options = FeedOptions(default_quantity=25, backorder_quantity=3)
    got = {
        a: check(quantity="", availability=a, options=options)
        for a in ("in stock", "out_of_stock", "preorder")
    }
    assert {a: (o.quantity, o.availability) for a, o in got.items()} == {  # type: ignore[union-attr]
        "in stock": (25, "in_stock"),
        "out_of_stock": (0, "out_of_stock"),
        "preorder": (3, "preorder"),
    }
    out = check(quantity="8", availability="out_of_stock")
    assert isinstance(out, OfferRow) and out.quantity == 0


def test_bad_gtin_keeps_the_offer_without_it_and_warns() -> None:
    v = RowValidator(FeedOptions())
    offer = check(validator=v, gtin="4006381333932")
    assert isinstance(offer, OfferRow) and offer.gtin is None
    assert [w.reason for w in v.warnings] == ["GTIN check digit is wrong; offer kept without it"]


@pytest.mark.parametrize("gtin", ["96385074", "036000291452", "4006381333931", "00012345600012"])
def test_valid_gtins(gtin: str) -> None:
    assert gtin_problem(gtin) is None
    offer = check(gtin=gtin)
    assert isinstance(offer, OfferRow) and offer.gtin == gtin


@pytest.mark.parametrize("gtin", ["123", "12345678901", "40063813339\uff13", "abcdefgh"])
def test_gtin_shape(gtin: str) -> None:
    assert gtin_problem(gtin) == "GTIN is not 8, 12, 13 or 14 digits; offer kept without it"


def test_countries_and_google_shipping_list() -> None:
    v = RowValidator(FeedOptions())
    offer = check(validator=v, countries="gb; ie, XYZ")
    assert isinstance(offer, OfferRow) and offer.countries == ("GB", "IE")
    assert [w.field for w in v.warnings] == ["countries"]
    listed = check(sku="B", shipping="US:CA:Overnight:16.00 USD,GB:::3.65 USD")
    assert isinstance(listed, OfferRow)
    assert (listed.shipping_cost, listed.countries) == (Decimal("16.00"), ("US", "GB"))


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown field"):
        FeedOptions(columns={"price": "x"})
    with pytest.raises(ValueError, match="unknown currency"):
        FeedOptions(currency="EURO")
    assert FeedOptions(currency=" eur ").currency == "EUR"


def test_amounts_in_exponent_notation_are_rejected() -> None:
    import io

    from connectors.suppliers.feeds import FeedOptions, parse_feed

    data = b"sku,price,quantity,currency\nA,15E-5,1,USD\nB,1.5e2,1,USD\nC,12.00,1,USD\n"
    chunks = list(parse_feed(io.BytesIO(data), "csv", FeedOptions(currency="USD")))
    assert [o.sku for c in chunks for o in c.offers] == ["C"]
    assert [(r.line, r.field) for c in chunks for r in c.rejects] == [(2, "cost"), (3, "cost")]
