"""What the browser tests share: skip locally, fail in CI, when the browser cannot run."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(ok: bool, reason: str) -> None:
    """Skip with ``reason`` when ``ok`` is false; in CI fail instead, since there the test must run."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{reason} -- CI=true, where the browser tests must run: .ci/run installs what they need")
    pytest.skip(reason)
