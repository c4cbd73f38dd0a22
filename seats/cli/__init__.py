"""The ``seats`` command line: a thin layer over the library.

Each command lives in a module of its own and parses its options, calls one
library function and renders the result; importing this package registers
them all on :data:`main`. Library errors become one line on stderr and a
non-zero exit code, never a traceback.
"""

from seats.cli import compare, indices, margins, methods, plot, rules, scenario, simulate  # noqa: F401  (registers the commands)
from seats.cli._app import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    main()
