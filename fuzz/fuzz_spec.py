"""atheris harness for the TOML spec loader: only CatoptError may escape.

    python fuzz/fuzz_spec.py -runs=100000
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import catopt as co
    from catopt.interfaces.spec import loads_spec

SEED = """relation = "(x,) :- f(x, y), g(y)"
[boxes.f]
objective = "quadratic"
size = 2
ports = [0, 1]
P = [[1.0, 0.0], [0.0, 1.0]]
a = [0.0, 1.0]
[boxes.g]
objective = "least_squares"
A = [[1.0]]
b = [2.0]
ports = [0]
[solve]
step = 0.1
x0 = { x = 1.0 }
"""


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        text = fdp.ConsumeUnicodeNoSurrogates(2048)
    else:  # mutate a valid spec: more of the loader is reached
        pos = fdp.ConsumeIntInRange(0, len(SEED) - 1)
        text = SEED[:pos] + fdp.ConsumeUnicodeNoSurrogates(16) + SEED[pos + 1:]
    try:
        loads_spec(text, base="/nonexistent-catopt-fuzz")
    except co.CatoptError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
