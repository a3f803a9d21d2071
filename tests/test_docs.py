"""The documentation site builds exactly as ``make docs`` builds it, with no warning at all,
its formulas are typeset by the KaTeX it serves itself, and its pages look like pages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def chromium() -> str:
    """Debian's headless Chromium, which scripts/setup.sh installs (as root)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "the docs test needs Debian's chromium: run scripts/setup.sh as root"
    return exe


def browse(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Open ``page`` in headless Chromium with JavaScript run to completion."""
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--virtual-time-budget=10000", *args, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs")
    if shutil.which("dot") is None:
        pytest.skip("the docs' drawings need graphviz's dot")
    out = tmp_path_factory.mktemp("docs") / "site"
    env = dict(os.environ, PY=sys.executable, SITE_DIR=str(out))
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "docs.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    warnings = [line for line in log.splitlines() if re.search(r"WARNING|Traceback", line)]
    assert not warnings, "\n".join(warnings)
    return out


@pytest.mark.slow
def test_docs_build_without_warnings(site: Path) -> None:
    assert (site / "index.html").exists()
    api = (site / "api" / "index.html").read_text()
    assert api.count("OpenProblem") > 3
    assert ":class:" not in api and ":func:" not in api  # Sphinx roles render as code
    gallery = (site / "gallery" / "multitask" / "index.html").read_text()
    assert "img/multitask_uwd.svg" in gallery
    assert (site / "gallery" / "img" / "multitask_uwd.svg").exists()


@pytest.mark.slow
def test_katex_is_served_by_the_site(site: Path) -> None:
    page = (site / "concepts" / "index.html").read_text()
    scripts = re.findall(r'<script src="([^"]+)"', page) + re.findall(r'href="([^"]+\.css)"',
                                                                        page)
    assert not [s for s in scripts if s.startswith(("http:", "https:", "//"))], scripts
    for rel in ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js"):
        assert (site / "assets" / "katex" / rel).stat().st_size > 1000
    css = (site / "assets" / "katex" / "katex.min.css").read_text()
    fonts = set(re.findall(r"url\(fonts/([^)]+\.woff2)\)", css))
    assert fonts and all((site / "assets" / "katex" / "fonts" / f).exists() for f in fonts)


@pytest.mark.slow
def test_formulas_are_typeset_in_the_browser(site: Path) -> None:
    page = site / "concepts" / "index.html"
    raw = page.read_text()
    n_math = raw.count('class="arithmatex"')
    assert n_math > 10
    dom = browse(page, "--dump-dom").stdout
    typeset = dom.count('class="katex"') + dom.count('class="katex-display"')
    assert typeset >= n_math, (typeset, n_math)
    assert "katex-error" not in dom
    text = re.sub(r"<[^>]+>", "", dom)
    assert "\\(" not in text and "\\[" not in text  # no formula left raw


@pytest.mark.slow
@pytest.mark.parametrize("page", ["concepts", "gallery/multitask"])
def test_screenshots_of_pages(site: Path, page: str) -> None:
    """Screenshots of the concepts page and of a gallery page: present, non-trivial in size,
    and not blank (many distinct pixel values, ink in several places)."""
    import matplotlib.image as mpimg

    shots = Path(os.environ.get("CATOPT_SCREENSHOTS", site.parent))
    shots.mkdir(parents=True, exist_ok=True)
    png = shots / (page.replace("/", "_") + ".png")
    browse(site / page / "index.html", "--window-size=1280,1600", f"--screenshot={png}")
    assert png.exists() and png.stat().st_size > 50_000, png
    img = mpimg.imread(png)[..., :3]
    assert img.shape[:2] == (1600, 1280)
    assert len(np.unique((img * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 500
    dark = img.mean(axis=2) < 0.5
    rows = dark.reshape(16, 100, 1280).any(axis=(1, 2))  # ink in most bands of the page
    assert rows.sum() >= 12
