"""``catopt COMMAND --help`` explains every option and shows its default."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from catopt.interfaces.cli import main

COMMANDS = sorted(main.commands)


def _options(name: str) -> list[click.Option]:
    return [p for p in main.commands[name].params
            if isinstance(p, click.Option) and p.name not in ("help", "version")]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help_and_a_shown_default(name: str) -> None:
    out = CliRunner().invoke(main, [name, "--help"], terminal_width=200)
    assert out.exit_code == 0, out.output
    entries: dict[str, str] = {}  # each option's entry: its first line and the indented rest
    for line in out.output.split("Options:")[1].splitlines():
        if re.match(r"^  -", line):
            key = line.split()[0].rstrip(",")
            entries[key] = line
        elif entries:
            entries[key] += " " + line.strip()
    for opt in _options(name):
        assert opt.help, f"catopt {name} {opt.opts[0]} has no help text"
        if opt.is_flag or opt.required:
            continue
        entry = entries[opt.opts[0]]
        assert "[default:" in entry, f"catopt {name} {opt.opts[0]} shows no default: {entry}"


def test_run_help_names_the_fallbacks() -> None:
    out = CliRunner().invoke(main, ["run", "--help"], terminal_width=200).output
    text = " ".join(out.split())
    for words in ("1/L from the curvature at x0", "else 1000", "the CPU count",
                  "else local"):
        assert words in text, words
