"""Carrier names as Shopify knows them, and tracking URLs for the ones it does not. Pure.

Shopify builds the tracking link itself only when `company` is one of its names, spelt exactly
(capitals matter); suppliers write "dhl", "YUNEXPRESS", "usps first class". For carriers Shopify
does not know (Yanwen, Cainiao, …) the hub sends a tracking URL so the customer can still click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

# Names exactly as Shopify lists them (FulfillmentTrackingInfo, "Supported tracking companies").
_SHOPIFY_NAMES = {
    "usps": "USPS", "united states postal service": "USPS", "us postal service": "USPS",
    "ups": "UPS", "united parcel service": "UPS",
    "fedex": "FedEx", "fed ex": "FedEx", "federal express": "FedEx",
    "dhl": "DHL Express", "dhl express": "DHL Express", "dhl expr": "DHL Express",
    "dhl ecommerce": "DHL eCommerce", "dhl e-commerce": "DHL eCommerce", "dhl global mail": "DHL eCommerce",
    "dhl ecommerce asia": "DHL eCommerce Asia",
    "4px": "4PX", "4px worldwide express": "4PX", "4px express": "4PX",
    "china post": "China Post", "chinapost": "China Post", "china post air mail": "China Post",
    "china ems": "China EMS (ePacket)", "epacket": "China EMS (ePacket)", "ems": "China EMS (ePacket)",
    "yunexpress": "YunExpress", "yun express": "YunExpress",
    "royal mail": "Royal Mail", "canada post": "Canada Post", "australia post": "Australia Post",
    "dpd": "DPD", "gls": "GLS", "postnl": "PostNL", "deutsche post": "Deutsche Post",
    "la poste": "La Poste", "colissimo": "Colissimo", "correos": "Correos", "evri": "Evri", "hermes": "Evri",
    "sf express": "SF Express", "sfexpress": "SF Express",
}

# Carriers Shopify does not link: where a customer can follow the parcel.
_TRACKING_PAGES = {
    "Yanwen": "https://track.yw56.com.cn/en/querydel?nums={number}",
    "Cainiao": "https://global.cainiao.com/newDetail.htm?mailNoList={number}",
}
_OTHER_NAMES = {"yanwen": "Yanwen", "yw": "Yanwen", "yanwen express": "Yanwen",
                "cainiao": "Cainiao", "aliexpress standard shipping": "Cainiao", "cainiao super economy": "Cainiao"}
UNIVERSAL_TRACKING = "https://t.17track.net/en#nums={number}"


@dataclass(frozen=True, slots=True)
class TrackingInfo:
    company: str | None
    number: str
    url: str | None  # set only when Shopify will not build one itself


def _key(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
    return re.sub(r"\b(co|ltd|inc|logistics|shipping|tracking|service)\b", "", text).strip()


def normalize_carrier(name: str | None) -> tuple[str | None, bool]:
    """(name to send, whether Shopify knows it). Unknown names pass through trimmed."""
    if not name or not name.strip():
        return None, False
    key = _key(name)
    if key in _SHOPIFY_NAMES:
        return _SHOPIFY_NAMES[key], True
    for alias, canonical in _SHOPIFY_NAMES.items():
        if key.startswith(alias + " "):
            return canonical, True
    if key in _OTHER_NAMES:
        return _OTHER_NAMES[key], False
    return name.strip(), False


def tracking_info(carrier: str | None, number: str, url: str | None = None) -> TrackingInfo:
    """What to send to the store: a supplier's own URL wins; else Shopify's link or a known page."""
    company, known = normalize_carrier(carrier)
    number = number.strip()
    if url:
        return TrackingInfo(company, number, url)
    if known:
        return TrackingInfo(company, number, None)
    template = _TRACKING_PAGES.get(company or "", UNIVERSAL_TRACKING)
    return TrackingInfo(company, number, template.format(number=quote(number, safe="")))
