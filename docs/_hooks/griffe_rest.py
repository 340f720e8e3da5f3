"""Griffe extension: the reST roles of the code's docstrings as Markdown for mkdocstrings.

The docstrings are numpydoc and, as in scipy, name other objects with reST roles
(``:func:`simulate```, ``:class:`~airdefense.errors.AirdefenseError```) and introduce code
with ``::``. mkdocstrings renders Markdown, so the roles become code, linked where the target
is on the API reference page, and ``::`` a plain colon. The source stays as it is.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|meth|class|mod|attr|data|obj|exc):`([^`]+)`")
#: Objects on the API reference page (docs/api.md), which a role may link to.
DOCUMENTED = {
    "airdefense.api.scenario",
    "airdefense.api.scenarios",
    "airdefense.api.simulate",
    "airdefense.api.open_run",
    "airdefense.api.montecarlo",
    "airdefense.api.Run",
    "airdefense.api.MonteCarlo",
    "airdefense.scenario.models.Scenario",
    "airdefense.scenario.models.Scenario.with_changes",
    "airdefense.errors.AirdefenseError",
}


def _role(match: re.Match[str]) -> str:
    text = match.group(1).strip()
    title, _, target = text.partition("<")
    if target:
        title, target = title.strip(), target.rstrip(">").strip()
    else:
        target = text.lstrip("~")
        title = target.rsplit(".", 1)[-1] if text.startswith("~") else target
    for full in (target, f"airdefense.api.{target}"):
        if full in DOCUMENTED:
            return f"[`{title}`][{full}]"
    return f"`{title}`"


def markdown(text: str) -> str:
    """A docstring's reST roles and ``::`` as Markdown."""
    text = ROLE.sub(_role, text)
    return re.sub(r"(?<=\S)::$", ":", text, flags=re.M)


class ReSTRoles(griffe.Extension):
    """Rewrites every docstring as it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
