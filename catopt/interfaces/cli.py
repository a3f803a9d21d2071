"""The ``catopt`` command line: draw, run, check and inspect composite problems.

Every command takes ``--help``; errors print a message (no traceback) and exit non-zero:
1 for bad input, 130 for an interrupted run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np

from catopt import __version__
from catopt.engines.options import ENGINES, engine_names
from catopt.errors import CatoptError, RunInterrupted
from catopt.interfaces.dot_text import printable

#: the source checkout's examples/ folder (absent from an installed wheel)
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
BUNDLED_SPECS = Path(__file__).resolve().parent / "specs"


class _Group(click.Group):
    """Turns CatoptError into a message and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RunInterrupted as e:
            click.echo(f"interrupted: {printable(e)}", err=True)
            ctx.exit(143 if e.signal == "SIGTERM" else 130)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except CatoptError as e:
            click.echo(f"error: {printable(e)}", err=True)
            ctx.exit(1)
        except OSError as e:  # an output folder that cannot be written, a full disk
            where = f" {e.filename!r}" if e.filename else ""
            click.echo(f"error: cannot read or write{where}: {e.strerror or e}", err=True)
            ctx.exit(1)


def _writable(path: str, option: str) -> None:
    """Fail before a long run, not after it, when ``path``'s folder cannot take a file."""
    import tempfile

    folder = Path(path).resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise CatoptError(f"{option} {path!r}: cannot write in folder {str(folder)!r}: "
                          f"{e.strerror or e}") from None


def _version(f: Any) -> Any:
    """``--version`` on a subcommand too."""
    return click.version_option(__version__, prog_name="catopt")(f)


def _spec(path: str, allow_import: bool = False, allow_outside: bool = False) -> Any:
    from catopt.interfaces.spec import load_spec

    return load_spec(path, allow_import=allow_import, allow_outside=allow_outside)


spec_options = [
    click.option("--allow-import", is_flag=True,
                 help="Honour 'python' boxes (runs code named by the spec)."),
    click.option("--allow-outside", is_flag=True,
                 help="Let data paths leave the spec's folder."),
]


def _with_spec_options(f: Any) -> Any:
    for opt in reversed(spec_options):
        f = opt(f)
    return f


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"],
                                           "show_default": True})
@click.version_option(__version__, prog_name="catopt")
def main() -> None:
    """catopt: compose optimization problems along wiring diagrams, solve them distributed."""


def _is_flow(spec: Any) -> bool:
    from catopt.interfaces.spec_flow import FlowSpec

    return isinstance(spec, FlowSpec)


def _run_flow(s: Any, spec: str, step: float | None, steps: int | None, tol: float | None,
              output: str | None, quiet: bool) -> None:
    """A flow spec: hierarchical dual decomposition (the proximal point method around it when
    a cost is linear), the flows recovered and reported."""
    from catopt.fileio import atomic_write

    out = s.run(step=step, steps=steps, tol=tol)
    src, tgt = s.composite.edges()
    labels = s.composite.labels
    if output:
        atomic_write(output, json.dumps({
            "method": out["method"], "message": out["message"],
            "converged": out["converged"], "iterations": out["dual_steps"],
            "outer_iterations": out["outer_iterations"],
            "dual_value": out["dual_value"], "cost": out["cost"],
            "conservation": out["conservation"],
            "multipliers": dict(zip(labels, out["multipliers"].tolist(), strict=True)),
            "flows": [{"from": labels[a], "to": labels[b], "flow": f} for a, b, f in
                      zip(src.tolist(), tgt.tolist(), out["flows"].tolist(), strict=True)],
        }, indent=2))
    if not quiet:
        if out["method"] == "proximal":
            how = (f"proximal point method (t = {out['t']:.4g}) with dual decomposition, "
                   f"{out['outer_iterations']} proximal steps, {out['dual_steps']} dual steps")
        else:
            how = f"dual decomposition, {out['dual_steps']} steps"
        click.echo(printable(f"{s.title or spec}: {how}; {out['message']}"))
        click.echo(f"  {s.composite.n} nodes, {s.composite.n_edges} edges; cost "
                   f"{out['cost']:.10g}, dual value {out['dual_value']:.10g}, "
                   f"max conservation residual {out['conservation']:.2e}")
        shown = [f"{labels[a]}->{labels[b]} = {f:.6g}" for a, b, f in
                 zip(src.tolist(), tgt.tolist(), out["flows"].tolist(), strict=True)][:12]
        click.echo("  " + ", ".join(shown) + (" ..." if len(src) > 12 else ""))
        if output:
            click.echo(f"  result: {output}")


def _path_kind(target: str) -> str:
    """``"file"``, ``"dir"`` or ``"text"``: relation text (it has ``:-``), a name too long or
    with a NUL for a path, or no such path, is text, never an error from the filesystem."""
    if ":-" in target or "\x00" in target:
        return "text"
    try:
        p = Path(target)
        return "dir" if p.is_dir() else "file" if p.is_file() else "text"
    except (OSError, ValueError):  # e.g. a name longer than the system allows
        return "text"


@main.command()
@click.argument("target")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file; the format follows the extension (.svg .png .pdf .dot).")
@click.option("--port-labels", is_flag=True, help="Label wires with port numbers.")
@click.option("--plain-two-port", is_flag=True,
              help="Draw junctions with exactly two ports as plain edges.")
@click.option("--system", is_flag=True,
              help="Draw the distributed system (agents and messages) beside the problem.")
@_with_spec_options
@_version
def draw(target: str, output: str, port_labels: bool, plain_two_port: bool, system: bool,
         allow_import: bool, allow_outside: bool) -> None:
    """Draw TARGET (a spec file, a Catlab ACSet .json file, or relation text) to OUTPUT."""
    from catopt.interfaces.draw import problem_dot, render, uwd_dot
    from catopt.wiring.relation import relation

    kind = _path_kind(target)
    if kind == "dir":
        raise CatoptError(f"{target!r} is a folder; expected a spec file, a .json diagram or "
                          "relation text")
    if kind == "file" and target.endswith(".json"):
        from catopt.wiring.uwd import UWD

        if system:
            raise CatoptError("--system needs a spec file (a problem), not a diagram")
        try:
            text = Path(target).read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise CatoptError(f"{target}: not UTF-8 text: {e}") from None
        graph = uwd_dot(UWD.from_json(text), port_labels=port_labels,
                        plain_two_port=plain_two_port)
    elif kind == "file":
        spec = _spec(target, allow_import, allow_outside)
        if _is_flow(spec):  # a flow network, drawn with its solved flows
            from catopt.interfaces.draw_flow import flow_dot

            graph = flow_dot(spec.composite, flows=spec.run()["flows"])
        elif system:
            from catopt.interfaces.draw_problem import distributed_dot

            graph = distributed_dot(spec.composite)
        else:
            graph = problem_dot(spec.composite, port_labels=port_labels,
                                plain_two_port=plain_two_port, title=spec.title)
    else:
        if target.endswith(".toml"):
            raise CatoptError(f"spec file {target!r} not found")
        d = relation(target)
        if system:
            raise CatoptError("--system needs a spec file (a problem), not relation text")
        graph = uwd_dot(d, port_labels=port_labels, plain_two_port=plain_two_port)
    _writable(output, "-o")
    render(graph, output)
    click.echo(f"wrote {output}")


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--engine", type=click.Choice(engine_names()), default=None,
              show_default="the spec's [solve] engine, else local (mpi under mpiexec/srun)",
              help="Where to run: " + "; ".join(f"{e.name}: {e.summary}"
                                                for e in ENGINES.values()) + ".")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              show_default="the spec's, else the CPU count",
              help="MPI ranks for --engine mpi (more than the boxes is fine: the rest idle).")
@click.option("--step", type=float, default=None,
              show_default="the spec's [solve] step, else 1/L from the curvature at x0",
              help="Gradient step; stable below 2/L.")
@click.option("--steps", type=click.IntRange(min=0), default=None,
              show_default="the spec's [solve] steps, else 1000",
              help="The most gradient steps to take.")
@click.option("--tol", type=float, default=None,
              show_default="the spec's [solve] tol, else none: run all steps",
              help="Stop once the gradient norm is at most this.")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              show_default="none", help="Write the result as JSON.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              show_default="none",
              help="Plot f(x_t) and the gradient norm (PNG, SVG or PDF).")
@click.option("--f-star", "f_star", type=float, default=None, show_default="none: plot f(x_t)",
              help="A known optimal value: --plot then shows the gap f(x_t) - f*.")
@click.option("--checkpoint", type=click.Path(file_okay=False), default=None,
              show_default="none", help="Save checkpoints in this folder.")
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=None,
              show_default="only at the end and on Ctrl-C",
              help="Steps between checkpoints (needs --checkpoint).")
@click.option("--resume", type=click.Path(file_okay=False), default=None,
              show_default="none: start from x0",
              help="Resume from the checkpoint in this folder.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              show_default="none",
              help="Seconds the whole run may take on --engine mpi; past it the ranks are "
                   "ended with an error (a stalled collective ends sooner, see stall_timeout).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, no summary.")
@_with_spec_options
@_version
def run(spec: str, engine: str | None, workers: int | None, step: float | None,
        steps: int | None, tol: float | None, output: str | None, plot_path: str | None,
        f_star: float | None, checkpoint: str | None, checkpoint_every: int | None,
        resume: str | None, timeout: float | None, quiet: bool,
        allow_import: bool, allow_outside: bool) -> None:
    """Solve the composite problem of SPEC by distributed gradient descent."""
    from catopt.engines.solve import solve
    from catopt.fileio import atomic_write

    if plot_path:
        from catopt.interfaces.plot import check_format

        check_format(plot_path)  # fail before the run, not after it
    s = _spec(spec, allow_import, allow_outside)
    for path, option in ((plot_path, "--plot"), (output, "--output")):
        if path:
            _writable(path, option)  # after the spec loads: a bad spec creates no folder
    if _is_flow(s):
        _run_flow(s, spec, step, steps, tol, output, quiet)
        return
    opts = dict(s.solve)
    for key, val in (("engine", engine), ("workers", workers), ("step", step),
                     ("steps", steps), ("tol", tol), ("checkpoint", checkpoint),
                     ("checkpoint_every", checkpoint_every), ("resume", resume),
                     ("timeout", timeout)):
        if val is not None:
            opts[key] = val
    opts.setdefault("steps", 1000)
    x0 = opts.pop("x0", None)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported as an error
        result = solve(s.composite, x0, progress=False if quiet else None, **opts)
    if result.stats.get("rank", 0) != 0:
        return  # under mpiexec every rank runs this; rank 0 writes and reports
    if output:
        atomic_write(output, json.dumps(result.to_dict(), indent=2))
    if plot_path:
        from catopt.interfaces.plot import plot_result

        plot_result(result, plot_path, title=s.title, f_star=f_star)
    if not quiet:
        click.echo(printable(f"{s.title or spec}: {result.message}"))
        click.echo(f"  objective {result.objective:.10g} after {result.iterations} iterations, "
                   f"gradient norm {result.grad_norm:.3g}")
        shown = list(zip(result.labels, result.x, strict=True))[:12]
        click.echo("  " + ", ".join(f"{printable(lab)} = {v:.6g}" for lab, v in shown)
                   + (" ..." if len(result.labels) > 12 else ""))
        for path, what in ((output, "result"), (plot_path, "plot")):
            if path:
                click.echo(f"  {what}: {path}")


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--points", type=click.IntRange(min=1), default=5,
              help="Random points to compare the two sides at.")
@click.option("--step", type=float, default=0.1,
              help="Step of the gradient-descent square.")
@click.option("--seed", type=int, default=0, help="Seed of the random points.")
@_with_spec_options
@_version
def check(spec: str, points: int, step: float, seed: int, allow_import: bool,
          allow_outside: bool) -> None:
    """Check the functor squares numerically on SPEC's problem.

    gradient_flow(compose(d, ps)) against compose(d, [gradient_flow(p)]), and the same for
    gradient_descent, at random points; exits 1 if they differ by more than 1e-9."""
    from catopt.functor.gradient import gradient_descent, gradient_flow
    from catopt.problems.compose import compose

    s = _spec(spec, allow_import, allow_outside)
    d, ps, c = s.diagram, s.problems, s.composite
    flows = compose(d, {k: gradient_flow(p) for k, p in ps.items()})
    descents = compose(d, {k: gradient_descent(p, step) for k, p in ps.items()})
    flow_c, descent_c = gradient_flow(c), gradient_descent(c, step)
    rng = np.random.default_rng(seed)
    worst_flow = worst_gd = 0.0
    for _ in range(points):
        y = rng.standard_normal(c.n)
        scale = max(1.0, float(np.abs(flow_c.vector_field(y)).max(initial=0.0)))
        worst_flow = max(worst_flow, float(np.abs(flow_c.vector_field(y)
                                                  - flows.vector_field(y)).max(initial=0.0))
                         / scale)
        worst_gd = max(worst_gd, float(np.abs(descent_c.update(y) - descents.update(y))
                                       .max(initial=0.0)) / scale)
    click.echo(f"gradient_flow square:    largest relative deviation {worst_flow:.3e}")
    click.echo(f"gradient_descent square: largest relative deviation {worst_gd:.3e}")
    if max(worst_flow, worst_gd) > 1e-9:
        raise CatoptError("the functor squares do not commute on this problem")
    click.echo(f"ok: the squares commute at {points} random points")


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@_with_spec_options
@_version
def info(spec: str, allow_import: bool, allow_outside: bool) -> None:
    """Boxes, junctions and sizes of SPEC, and who shares which variable."""
    s = _spec(spec, allow_import, allow_outside)
    d, c = s.diagram, s.composite
    click.echo(printable(f"{s.title or spec}"))
    click.echo(f"relation: {d.to_relation()}")
    click.echo(f"{d.n_boxes} boxes, {len(d.junctions)} junctions, {c.n} variables "
               f"({len(c.ports)} exposed)")
    click.echo("boxes:")
    for b, (q, comp) in enumerate(c.components.items()):
        exposed = set(comp.port_variables)
        private = comp.n - sum(int(comp.space.sizes[v]) for v in exposed)
        click.echo(f"  {q:<12} n={comp.n:<6} ports={', '.join(d.ports(b)) or '-'}"
                   f"   private={private}")
    click.echo("junctions:")
    for j in d.junctions:
        owners = [d.qualified_boxes()[b] for b in d.boxes_of(j)]
        shape = d.shape(j)
        outer = " (outer)" if j in d.outer else ""
        click.echo(f"  {j:<10} shape={shape!s:<8} shared by {', '.join(owners) or 'nobody'}"
                   f"{outer}")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@_version
def examples(name: str | None, args: tuple[str, ...]) -> None:
    """List the bundled examples, or run example NAME with ARGS (e.g. --quick)."""
    # beside an installed package, parents[2] is site-packages: demand our own checkout
    if not (EXAMPLES_DIR.is_dir() and (EXAMPLES_DIR.parent / "catopt" / "__init__.py").is_file()
            and (EXAMPLES_DIR.parent / "pyproject.toml").is_file()):
        raise CatoptError(f"the examples folder was not found at {EXAMPLES_DIR}; it ships "
                          "with the source checkout, not with an installed wheel")
    scripts = sorted(p for p in EXAMPLES_DIR.glob("*.py") if not p.name.startswith("_"))
    if name is None:
        click.echo(f"examples in {EXAMPLES_DIR}:")
        for p in scripts:
            doc = p.read_text(encoding="utf-8").split('"""')[1].strip().splitlines()[0] \
                if '"""' in p.read_text(encoding="utf-8") else ""
            click.echo(f"  {p.stem:<20} {doc}")
        click.echo("run one with: catopt examples NAME [--quick]")
        specs = ", ".join(str(p) for p in sorted(BUNDLED_SPECS.glob("*.toml")))
        click.echo(f"bundled specs: {specs}")
        return
    match = [p for p in scripts if p.stem == name]
    if not match:
        raise CatoptError(f"no example {name!r}; examples are {[p.stem for p in scripts]}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(EXAMPLES_DIR.parent), os.environ.get("PYTHONPATH", "")]))
    code = subprocess.call([sys.executable, str(match[0]), *args], env=env)
    if code:
        raise CatoptError(f"example {name!r} exited with status {code}")
