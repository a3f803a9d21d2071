"""``python -m catopt`` and the ``catopt`` command: the command line.

Ctrl-C while the command line is still loading ends it quietly (exit 130), as it does during a
run, instead of printing a traceback from inside an import.
"""

import sys


def entry() -> None:
    """Load the command line and run it."""
    try:
        from catopt.interfaces.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    entry()
