"""The API's input contract in one place: ids, text, amounts and quantities as annotated types.

Every router takes its parameters through these types, so a value the database cannot hold (an id
past 2**63-1, a NUL byte PostgreSQL refuses, an amount past the scaled BIGINT of `hub/db/types.py`)
is a 422 naming the field before any service runs, and the OpenAPI states the same ranges.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator, Field, WithJsonSchema

from hub.domain.money import STORAGE_DECIMALS

MAX_ID = 2**63 - 1  # BIGINT primary keys
MAX_INT32 = 2**31 - 1  # INTEGER columns (quantities, priorities)
NO_NUL = r"^[^\x00]*$"  # NUL bytes: PostgreSQL refuses them in text; the pattern also refuses lone surrogates
MAX_TEXT = 1000  # a free-text query parameter (search, filters)
SUPPLIER_CODE = r"^[a-z0-9][a-z0-9_-]{1,63}$"
CURRENCY = r"^[A-Za-z]{3}$"
COUNTRY = r"^[A-Za-z]{2}$"
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SHOP_DOMAIN = r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$"

# Amounts are decimal strings: a JSON number is a binary float and loses cents past 2**53.
AMOUNT_INTEGER_DIGITS = 14  # 99,999,999,999,999.9999 fits the scaled BIGINT (922,337,203,685,477.5807)
AMOUNT_PATTERN = rf"^[0-9]{{1,{AMOUNT_INTEGER_DIGITS}}}(\.[0-9]{{1,{STORAGE_DECIMALS}}})?$"
MAX_AMOUNT = Decimal(10) ** AMOUNT_INTEGER_DIGITS - Decimal(1).scaleb(-STORAGE_DECIMALS)
MONEY_MAX = Decimal(2**63 - 1).scaleb(-STORAGE_DECIMALS)  # what a money column stores at most


def _amount(value: Any) -> Decimal:
    """A decimal string, 0 to MAX_AMOUNT, at most STORAGE_DECIMALS decimals; a clear reason otherwise."""
    if isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError(f'must be a decimal string such as "12.50", not a JSON {type(value).__name__}')
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text[:40]!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {text[:40]!r}")
    if amount < 0:
        raise ValueError("must not be negative")
    if amount > MAX_AMOUNT:
        raise ValueError(f"must be at most {MAX_AMOUNT}")
    if amount != amount.quantize(Decimal(1).scaleb(-STORAGE_DECIMALS)):
        raise ValueError(f"has more than {STORAGE_DECIMALS} decimals")
    return amount


# What a pattern means, for the 422 message (pydantic would print the regular expression).
PATTERN_RULES = {
    NO_NUL: "must not contain a NUL byte",
    SUPPLIER_CODE: "must be 2 to 64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit",
    CURRENCY: "must be a 3-letter ISO 4217 currency code such as USD",
    COUNTRY: "must be a 2-letter ISO 3166 country code such as US",
    DAY: "must be a day as YYYY-MM-DD",
    SHOP_DOMAIN: "must be a Shopify shop domain, NAME.myshopify.com",
    AMOUNT_PATTERN: f"must be a decimal string such as \"12.50\" (at most {STORAGE_DECIMALS} decimals)",
}

Amount = Annotated[Decimal, BeforeValidator(_amount), WithJsonSchema({
    "type": "string", "pattern": AMOUNT_PATTERN, "examples": ["12.50"],
    "description": f"a decimal string, 0 to {MAX_AMOUNT}, at most {STORAGE_DECIMALS} decimals"})]

# Path and query parameters.
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive 64-bit id")]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="a positive 64-bit id")]
SupplierCode = Annotated[str, Path(pattern=SUPPLIER_CODE,
                                   description="the supplier's code: 2-64 characters of a-z, 0-9, '-', '_'")]
TextFilter = Annotated[str | None, Query(max_length=MAX_TEXT, pattern=NO_NUL)]

# Body fields.
Text = Annotated[str, Field(pattern=NO_NUL)]  # give each field its column's max_length
Quantity = Annotated[int, Field(ge=1, le=MAX_INT32)]
Priority = Annotated[int, Field(ge=-MAX_INT32, le=MAX_INT32)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


def exact_integer_bounds(node: Any) -> None:
    """FastAPI's OpenAPI models hold body bounds as floats (2**63-1 becomes 9.223372036854776e18, one
    past the largest id): put integer schemas' bounds back as the integers they were declared as."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in ("minimum", "maximum"):
                bound = node.get(key)
                if isinstance(bound, float):
                    node[key] = MAX_ID if bound == float(MAX_ID) else -MAX_ID if bound == -float(MAX_ID) else int(bound)
        for value in node.values():
            exact_integer_bounds(value)
    elif isinstance(node, list):
        for value in node:
            exact_integer_bounds(value)
