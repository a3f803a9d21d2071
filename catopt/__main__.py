"""``python -m catopt``: the command line."""

from catopt.interfaces.cli import main

if __name__ == "__main__":
    main()
