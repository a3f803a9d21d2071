"""atheris harness for the Catlab JSON diagram loader: only CatoptError may escape.

    python fuzz/fuzz_json.py -runs=100000
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import catopt as co


def one_input(data: bytes) -> None:
    try:
        co.UWD.from_json(data)
    except co.CatoptError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
