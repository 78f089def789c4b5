from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.carriers import normalize_carrier, tracking_info


@pytest.mark.parametrize(("raw", "expected", "known"), [
    ("usps", "USPS", True), ("UPS", "UPS", True), ("fedex", "FedEx", True), ("Fed-Ex", "FedEx", True),
    ("dhl", "DHL Express", True), ("DHL_EXPRESS", "DHL Express", True), ("dhl ecommerce", "DHL eCommerce", True),
    ("4PX Worldwide Express Co., Ltd", "4PX", True), ("china post", "China Post", True),
    ("YUNEXPRESS", "YunExpress", True), ("Yun Express", "YunExpress", True), ("USPS First Class", "USPS", True),
    ("yanwen", "Yanwen", False), ("Cainiao", "Cainiao", False), ("Tiny Local Courier", "Tiny Local Courier", False),
    ("", None, False), (None, None, False),
])
def test_normalize(raw: str | None, expected: str | None, known: bool) -> None:
    assert normalize_carrier(raw) == (expected, known)


def test_urls_only_where_shopify_cannot_link() -> None:
    assert tracking_info("dhl", " 1234 ").url is None
    assert tracking_info("dhl", "1234").number == "1234"
    assert tracking_info("yanwen", "UG123").url == "https://track.yw56.com.cn/en/querydel?nums=UG123"
    assert "LP00" in (tracking_info("cainiao", "LP00").url or "")
    assert (tracking_info("Tiny Courier", "A B").url or "").endswith("A%20B")
    assert tracking_info("dhl", "1", url="https://x/1").url == "https://x/1"


@given(st.text(max_size=40), st.text(min_size=1, max_size=30).filter(str.strip))
def test_never_raises(carrier: str, number: str) -> None:
    info = tracking_info(carrier, number)
    assert info.number == number.strip()
