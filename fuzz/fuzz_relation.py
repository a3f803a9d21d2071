"""atheris harness for the relation parser: only CatoptError may escape.

    python fuzz/fuzz_relation.py -runs=100000
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import catopt as co


def one_input(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(4096)
    try:
        co.relation(text)
    except co.CatoptError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
