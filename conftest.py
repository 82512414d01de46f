"""Shared pytest fixtures: the standard world of personas, and pages in a real browser."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cosodang.core.testing import World, build_world

CHROMIUM = os.environ.get("COSODANG_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def new_page(live_server: Any) -> Iterator[Callable[..., Any]]:
    """Yield a factory of pages (phone-sized by default) in Debian's Chromium via Playwright.

    Skipped when Chromium is missing, unless COSODANG_REQUIRE_BROWSER=1 (CI), where it fails.
    Every request the pages make must answer < 400: nothing external, no missing asset.
    """
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("COSODANG_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM} (CI must install it)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself are synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db.backends.signals import connection_created
    from playwright.sync_api import sync_playwright

    # Under Playwright's sync API the test body runs in a greenlet with its own context
    # variables, so its ORM calls open a database connection that no teardown of ours can
    # reach by `connections`; keep hold of it and close it at the end, or PostgreSQL refuses
    # to drop the test database after the run ("being accessed by other users").
    opened: list[Any] = []
    this_thread = threading.get_ident()

    def remember(sender: Any, connection: Any, **kwargs: Any) -> None:
        if threading.get_ident() == this_thread:  # the live server's threads close their own
            opened.append(connection)

    connection_created.connect(remember, weak=False)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            failed: list[str] = []

            def make(width: int = 390, height: int = 844) -> Any:
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    locale="vi-VN",
                    accept_downloads=True,
                )
                page = context.new_page()
                page.set_default_timeout(15000)
                page.on(
                    "response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}")
                )
                return page

            yield make
            assert failed == []
            browser.close()
    finally:
        for connection in opened:
            connection.close()
        connection_created.disconnect(remember)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A phone-sized page (390 × 844) in Chromium; see `new_page`."""
    return new_page()
