#!/usr/bin/env bash
# Build the documentation site, as `make docs` does (and tests/test_docs.py, which runs this
# very script): the gallery's figures first, then mkdocs in strict mode. SITE_DIR (default
# site/) says where the site goes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PY=$PY bash scripts/gallery.sh
NO_MKDOCS_2_WARNING=1 $PY -m mkdocs build --strict --site-dir "${SITE_DIR:-site}"
