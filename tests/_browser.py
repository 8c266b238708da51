"""What the browser tests share: one way to start Chromium, and the rule to skip locally but fail in CI."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from check_slides import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402  (the launch recipe the slide script uses too)

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(ok: bool, reason: str) -> None:
    """Skip with ``reason`` when ``ok`` is false; in CI fail instead, since there the test must run."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{reason} -- CI=true, where the browser tests must run: .ci/run installs what they need")
    pytest.skip(reason)


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, driven by Playwright's sync API; closed (and Playwright stopped) on exit.

    Use it from module-scoped fixtures: a sync Playwright still running blocks the next one in that process.
    """
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    require(
        importlib.util.find_spec("playwright") is not None,
        "playwright is not installed (pip install playwright; never `playwright install`, it downloads a browser)",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as manager:
        browser = manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()
