"""The supplier portal's side of page_checks: a watched page signed in with a supplier key.

`check_page` works on any watched page, so portal pages go through the same checks (390 px, no
console error, nothing from another host, axe) once `portal_signed_in` has opened the session.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.page_checks import DESKTOP, Watched, watch


def portal_sign_in(page: Any, url: str, key: str) -> None:
    """Fill the portal's sign-in form with `key` and send it (the caller waits for what it expects)."""
    page.goto(f"{url}/supplier/login")
    page.fill("#key", key)
    page.click("button[type=submit]")


def portal_signed_in(browser: Any, url: str, key: str, viewport: dict[str, int] = DESKTOP) -> Watched:
    """A watched page (a page of its own browser context: its own cookies) signed in to the portal."""
    watched = watch(browser, url, viewport)
    portal_sign_in(watched.page, url, key)
    watched.page.wait_for_url(f"{url}/supplier")
    watched.clear()
    return watched
