"""griffe extension: Sphinx roles in docstrings render as code in the API reference.

Docstrings say ``:class:`~catopt.errors.RunInterrupted``` or ``:func:`compile_plan``` (they
read well in ``help()``); mkdocstrings renders docstrings as Markdown, where the role would
show raw. This extension rewrites each role to a code span of its target (the last dotted part
for a ``~`` target), once, when griffe loads the object.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|exc|obj|data):`(~?)([^`]+)`")


def plain(text: str) -> str:
    """``text`` with each Sphinx role replaced by a Markdown code span of its target."""
    return ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`",
                    text)


class SphinxRoles(griffe.Extension):
    """Rewrite the Sphinx roles of every loaded docstring (see `plain`)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
