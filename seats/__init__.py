"""seats: exact, explainable seat allocation for electoral research."""

__version__ = "0.1.0"
