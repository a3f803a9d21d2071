#!/usr/bin/env bash
# Generate the gallery's figures by running every example in full: the runs the gallery pages
# describe, not --quick ones (written under docs/gallery/img, which git ignores).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
out=docs/gallery/img
mkdir -p "$out"
PYTHONPATH=. $PY examples/multitask.py --outdir "$out" > /dev/null
PYTHONPATH=. $PY examples/two_layer_linear.py --outdir "$out" > /dev/null
PYTHONPATH=. $PY examples/theta_lazy.py --outdir "$out" > /dev/null
PYTHONPATH=. $PY examples/dlgn.py --outdir "$out" > /dev/null
PYTHONPATH=. $PY examples/sagd_interpolation.py --outdir "$out" > /dev/null
PYTHONPATH=. $PY examples/sensor_field.py --outdir "$out" > /dev/null
PYTHONPATH=. $PY examples/network_flow.py --outdir "$out" > /dev/null
PYTHONPATH=. $PY examples/sheaf_coordination.py --quick --outdir "$out" > /dev/null
PYTHONPATH=. $PY examples/decentralized_multitask.py --tasks 8 --outdir "$out" > /dev/null
PYTHONPATH=. $PY scripts/docs_images.py > /dev/null
echo "gallery figures in $out"
