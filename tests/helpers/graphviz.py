"""A marker for tests that need graphviz's ``dot`` program (``make test`` installs it)."""

from __future__ import annotations

import shutil

import pytest

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' not installed")
