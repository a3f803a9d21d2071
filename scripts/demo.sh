#!/usr/bin/env bash
# The main job: a bundled composite problem through the command line, the same problem from
# Python with the functor's naturality checked, then the headline example: multitask learning,
# distributed. Outputs go to out/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
SPEC=catopt/interfaces/specs/quadratics.toml
mkdir -p out

echo "== catopt info $SPEC"
$PY -m catopt info "$SPEC"
echo
echo "== catopt draw: the wiring diagram and the distributed system"
$PY -m catopt draw "$SPEC" -o out/quadratics.svg
$PY -m catopt draw "$SPEC" -o out/quadratics_system.png --system
echo
echo "== catopt check: the functor squares on this problem"
$PY -m catopt check "$SPEC"
echo
echo "== catopt run: distributed gradient descent"
$PY -m catopt run "$SPEC" --output out/result.json --plot out/loss.png --quiet
$PY - <<'PY'
import json
r = json.load(open("out/result.json"))
print(f"  {'converged' if r['converged'] else 'stopped'} after {r['iterations']} iterations; "
      f"objective {r['objective']:.10g}")
print("  " + ", ".join(f"{k} = {v:.6f}" for k, v in list(r["x"].items())[:5]) + ", ...")
PY
echo
echo "== the same problem from Python, against a linear solve"
PYTHONPATH=. $PY examples/three_quadratics.py --quick | tail -4
echo
echo "== the headline: multitask learning, distributed (in-process and on MPI)"
PYTHONPATH=. $PY examples/multitask.py --demo --outdir out 2>/dev/null
echo
echo "files written:"
for f in out/quadratics.svg out/quadratics_system.png out/result.json out/loss.png \
         out/multitask_uwd.svg out/multitask_system.svg out/multitask_loss.png; do
  echo "  $f"
done
