"""Drive the dashboard in a real browser page: log in, move around by ``data-testid``, take a
screenshot of each page, and fail on any console error or uncaught page error.

The selectors are the ``data-testid`` values the SPA documents in web/TESTIDS.md.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .harness import ADMIN, Cloud

if TYPE_CHECKING:  # Playwright is imported by the fixtures, so a missing one is a skip, not an error
    from playwright.sync_api import ConsoleMessage, Locator, Page

# Every test module of the tier: `pytestmark = BROWSER` (the tier's skip; one xdist worker for all)
BROWSER = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".local" / "reports" / "screenshots"
TIMEOUT_MS = 15_000  # one page or answer; waits for the simulator pass their own


# Chromium reports an HTTP error answer of a fetch as a console error; a scenario that provokes one
# on purpose says so (Dashboard.expecting_http_error), every other one fails the test.
_HTTP_ERROR = re.compile(r"^Failed to load resource: the server responded with a status of (\d{3})")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


class Dashboard:
    """One browser page on the dashboard of ``cloud``, for one test."""

    def __init__(self, page: Page, cloud: Cloud, name: str) -> None:
        self.page = page
        self.cloud = cloud
        self.name = slug(name)
        self.errors: list[str] = []
        self.shots: list[Path] = []
        self._expected: list[tuple[int, str]] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    # ----------------------------------------------------------------- errors
    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "") if message.location else ""
        found = _HTTP_ERROR.match(message.text)
        if found and any(int(found.group(1)) == status and part in where for status, part in self._expected):
            return
        self.errors.append(f"console error: {message.text} ({where})")

    @contextlib.contextmanager
    def expecting_http_error(self, status: int, url_part: str = "") -> Iterator[None]:
        """Inside the block, an API answer with this status (to a URL containing ``url_part``) is
        what the scenario provokes, not a console error."""
        expected = (status, url_part)
        self._expected.append(expected)
        try:
            yield
        finally:
            self._expected.remove(expected)

    def check(self) -> None:
        """Fail now if the page logged an error so far (the fixture checks again at the end)."""
        if self.errors:
            raise AssertionError("the dashboard logged errors:\n" + "\n".join(self.errors))

    # ----------------------------------------------------------------- moving around
    def by_id(self, testid: str) -> Locator:
        return self.page.get_by_test_id(testid)

    def goto(self, path: str = "/app/") -> None:
        self.page.goto(self.cloud.url + path, wait_until="domcontentloaded")

    def login(self, login: tuple[str, str] = ADMIN) -> None:
        """Sign in through the login page and wait for the overview."""
        self.goto("/app/login")
        self.by_id("login-email").fill(login[0])
        self.by_id("login-password").fill(login[1])
        self.by_id("login-submit").click()
        self.by_id("page-overview").wait_for()
        self.check()

    def nav(self, item: str, page_testid: str) -> Locator:
        """Click the navigation entry ``nav-<item>`` and wait for the page ``page_testid``."""
        self.by_id(f"nav-{item}").click()
        page = self.by_id(page_testid)
        page.wait_for()
        return page

    def shot(self, step: str) -> Path:
        """A full-page screenshot: .local/reports/screenshots/<test>-<nn>-<step>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{len(self.shots) + 1:02d}-{slug(step)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        self.check()
        return path
