"""Spec-file messages a user can act on: a TOML syntax error quotes its line with a caret,
and a built-in objective on a shaped junction says where the limitation is."""

from __future__ import annotations

import pytest

import catopt as co
from catopt.interfaces.spec import loads_spec

GOOD = '''relation = "(a,) :- f(a, b), g(b)"
[boxes.f]
objective = "quadratic"
size = 2
ports = [0, 1]
P = [[2.0, 0.5], [0.5, 1.0]]
a = [-1.0, 0.0]
[boxes.g]
objective = "least_squares"
A = [[1.0]]
b = [3.0]
ports = [0]
'''


@pytest.mark.parametrize("lineno, bad", [(4, "size = = 2"), (7, "a = [-1.0, 0.0"),
                                         (2, "[boxes.f"), (6, "\tP = [[2.0, 0.5], [0.5, 1.0]] x")])
def test_toml_syntax_error_quotes_the_line_with_a_caret(lineno: int, bad: str) -> None:
    lines = GOOD.splitlines()
    lines[lineno - 1] = bad
    with pytest.raises(co.SpecError) as info:
        loads_spec("\n".join(lines), name="p.toml")
    head, src, caret = str(info.value).split("\n")
    assert head.startswith("p.toml: not valid TOML: ")
    line = int(head.split(" at line ")[1].split(",")[0])
    col = int(head.split("column ")[1])
    assert src == "  " + lines[line - 1]
    assert caret.strip() == "^" and len(caret) == 2 + col  # under column col
    assert caret[2:-1].strip(" \t") == ""


def test_toml_error_at_the_end_of_the_text_keeps_the_message() -> None:
    with pytest.raises(co.SpecError, match="not valid TOML"):
        loads_spec('relation = "(a,) :- f(a)"\n[boxes.f]\nP = [1,', name="p.toml")


def test_a_builtin_objective_on_a_shaped_junction_says_where_the_limitation_is() -> None:
    text = GOOD.replace('[boxes.f]', '[shapes]\na = 2\n[boxes.f]')
    with pytest.raises(co.SpecError) as info:
        loads_spec(text, name="p.toml")
    msg = str(info.value)
    assert "[boxes.f] key 'ports'" in msg and "junction 'a' has shape (2,)" in msg
    assert "expose scalar coordinates only" in msg and 'objective = "python"' in msg
