"""What every part of the simulation shares: the array types and :class:`SimulationError`."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from seats.errors import SeatsError

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


class SimulationError(SeatsError):
    """A simulation that cannot be run (bad noise, unsupported link, too few runs, ...)."""
