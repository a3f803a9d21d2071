"""Open dynamical systems (continuous and discrete), composed along UWDs."""

from catopt.systems.open_system import (
    ContinuousAlgebra,
    DiscreteAlgebra,
    OpenContinuousSystem,
    OpenDiscreteSystem,
    OpenSystem,
)

__all__ = ["OpenSystem", "OpenContinuousSystem", "OpenDiscreteSystem", "ContinuousAlgebra",
           "DiscreteAlgebra"]
