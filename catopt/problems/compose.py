"""Composition by variable sharing along a UWD (the UWD algebra, ``oapply``).

``compose(d, fillers)`` is the one generic composition of :mod:`catopt.algebra.protocol`:
it glues the fillers' spaces by the pushout of ``sum_b S_b <- sum_b P_b -> J`` (see
:mod:`catopt.algebra.gluing`) and lets the fillers' algebra assemble the result. For problems
the objectives add, pulled back along the gluing; for systems, continuous vector fields are
pushed forward (``v(y) = phi_* (sum_b v_b)(phi^* y)``) and discrete updates push increments
(``u(y) = y + phi_*((sum_b u_b)(phi^* y) - phi^* y)``). The result composes again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from catopt.algebra.protocol import UWDAlgebra, fillers_in_box_order
from catopt.algebra.protocol import compose as _compose
from catopt.problems.open_problem import ProblemAlgebra
from catopt.wiring.uwd import UWD

__all__ = ["compose", "fillers_in_box_order"]


def compose(d: UWD, fillers: Mapping[str, Any] | Sequence[Any], *,
            algebra: UWDAlgebra | None = None) -> Any:
    """Compose open problems (or open systems, or open things of any UWD-algebra) along ``d``.

    ``fillers`` is a mapping keyed by box name or a sequence in box order; all fillers must be
    of one algebra (all problems, all continuous systems, all discrete systems, all Z2
    problems, ...). Port counts and shapes are checked. Coordinates of the result: junctions
    first, in ``d.junctions`` order, then each box's unexposed coordinates, box by box,
    labelled ``box.label``. A diagram with no boxes composes to an open problem unless
    ``algebra`` says otherwise.
    """
    if algebra is None and isinstance(d, UWD) and d.n_boxes == 0:
        algebra = ProblemAlgebra()
    return _compose(d, fillers, algebra=algebra)
