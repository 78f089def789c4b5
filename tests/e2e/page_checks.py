"""What every dashboard page must pass in the browser (the dashboard issue's checks), in one place.

`signed_in` opens a page signed in with the admin token and collects console errors, failed
responses and requests to any other host; `check_page` then asserts, for one path: no sideways
scrolling at 390 px, no console error, nothing asked of another host, no serious or critical
axe-core finding, and saves phone and desktop screenshots to HUB_SCREENSHOTS (var/screenshots).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.conftest import ADMIN_TOKEN

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SCREENSHOTS = Path(os.environ.get("HUB_SCREENSHOTS", "var/screenshots"))


@dataclass
class Watched:
    """A browser page and what went wrong on it since the last `clear()`."""

    page: Any
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.errors.clear()
        self.foreign.clear()


def watch(browser: Any, url: str, viewport: dict[str, int] = DESKTOP) -> Watched:
    """A new page that records console errors, 4xx/5xx answers and blocks every host but the hub's."""
    page = browser.new_page(viewport=viewport)
    watched = Watched(page)
    own = urlsplit(url).netloc

    def only_the_hub(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own or route.request.url.startswith("data:"):
            route.continue_()
        else:
            watched.foreign.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_hub)
    page.on("console", lambda message: watched.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    page.on("response", lambda response: watched.errors.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    return watched


def signed_in(browser: Any, url: str, viewport: dict[str, int] = DESKTOP) -> Watched:
    """A watched page signed in to the dashboard with the admin token."""
    watched = watch(browser, url, viewport)
    watched.page.goto(f"{url}/login")
    watched.page.fill("#token", ADMIN_TOKEN)
    watched.page.click("button[type=submit]")
    watched.page.wait_for_url(f"{url}/")
    watched.clear()
    return watched


def check_page(watched: Watched, url: str, path: str, *, name: str | None = None,
               desktop: Watched | None = None) -> None:
    """Open `path` on a 390 px phone page and assert the dashboard's rules; screenshots on both widths."""
    from axe_playwright_python.sync_playwright import Axe

    page = watched.page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = name or (path.strip("/").replace("/", "-").replace("?", "-").replace("&", "-").replace("=", "-")
                    or "overview")[:60]
    watched.clear()
    page.goto(f"{url}{path}")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.viewport_size or PHONE
    assert width <= viewport["width"], f"{path} is {width} px wide on a {viewport['width']} px screen"
    page.screenshot(path=str(SCREENSHOTS / f"{shot}-phone.png"), full_page=True)
    assert watched.errors == [], f"{path}: {watched.errors}"
    assert watched.foreign == [], f"{path} asked other hosts: {watched.foreign}"
    results = Axe().run(page)
    serious = [f"{v['id']}: {v['help']}" for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{path}: {serious}"
    if desktop is not None:
        desktop.page.goto(f"{url}{path}")
        desktop.page.wait_for_load_state("networkidle")
        desktop.page.screenshot(path=str(SCREENSHOTS / f"{shot}-desktop.png"), full_page=True)
