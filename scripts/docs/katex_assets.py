"""mkdocs hook: serve KaTeX from the site itself (no CDN; cluster users are often offline).

The formulas are written as ``\\( ... \\)`` and ``\\[ ... \\]`` (pymdownx.arithmatex, generic
mode) and typeset in the browser by KaTeX's auto-render, which ``docs/javascripts/katex-init.js``
starts. The KaTeX files come from a local copy that ``scripts/setup.sh`` installs: Debian's
``libjs-katex`` (``/usr/share/javascript/katex``), or, without root, the npm package unpacked
into ``.venv/share/katex``; ``CATOPT_KATEX_DIR`` names another folder. They are copied into the
built site under ``assets/katex/``. Without any copy the build stops with a message saying how
to get one, rather than shipping pages whose formulas stay raw.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
#: where a KaTeX distribution is looked for, in order
CANDIDATES = [ROOT / ".venv" / "share" / "katex", Path("/usr/share/javascript/katex")]
#: site path -> the names that file has in the known distributions (Debian's, npm's dist/)
WANTED = {
    "katex.min.js": ["katex.min.js"],
    "katex.min.css": ["katex.min.css"],
    "contrib/auto-render.min.js": ["contrib/auto-render.min.js", "contrib/auto-render.js"],
}


def katex_dir() -> Path:
    """The first folder holding a KaTeX distribution, or a PluginError saying how to get one."""
    env = os.environ.get("CATOPT_KATEX_DIR")
    for cand in ([Path(env)] if env else []) + CANDIDATES:
        if (cand / "katex.min.js").is_file() and (cand / "fonts").is_dir():
            return cand
    raise PluginError(
        "KaTeX not found (looked in " + ", ".join(map(str, CANDIDATES)) + "): run "
        "scripts/setup.sh (as root it installs Debian's libjs-katex; otherwise it unpacks the "
        "npm package katex into .venv/share/katex), or set CATOPT_KATEX_DIR"
    )


def on_files(files: Files, config) -> Files:  # mkdocs hook
    src = katex_dir()
    for dest, names in WANTED.items():
        found = next((src / n for n in names if (src / n).is_file()), None)
        if found is None:
            raise PluginError(f"the KaTeX copy in {src} has no {' or '.join(names)}")
        files.append(File.generated(config, f"assets/katex/{dest}", abs_src_path=str(found)))
    for font in sorted((src / "fonts").iterdir()):
        if font.suffix in {".woff2", ".woff", ".ttf"}:
            files.append(File.generated(config, f"assets/katex/fonts/{font.name}",
                                        abs_src_path=str(font.resolve())))
    return files
