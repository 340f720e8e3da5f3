"""The one error type a user can fix: which file, which field in it, and what is wrong.

Every error the library raises for bad input or an unusable destination is an
:class:`AirdefenseError` (or a subclass saying which part of the tool raised it). Its text is
one line, ``FILE: field.path: what is wrong (what is allowed)``, with empty parts left out;
the command line prints ``error: `` and that line and exits with status 2, and the Python
API lets it propagate. Nothing has been written when one is raised.
"""

from __future__ import annotations

from typing import Any


class AirdefenseError(Exception):
    """A user error: ``message``, and where: ``source`` (a file, directory or command-line
    option) and ``field`` (a dotted path inside it, or a column). ``str()`` is the one line
    shown to the user; the parts stay available to a program."""

    def __init__(self, message: str = "", *, source: str = "", field: str = "") -> None:
        self.source = str(source)
        self.field = str(field)
        self.message = str(message)
        super().__init__(": ".join(p for p in (self.source, self.field, self.message) if p))

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its parts whatever a subclass's constructor takes (e.g. on the way
        # back from a Dask worker)
        return (_rebuild, (type(self), self.message, self.source, self.field))


def _rebuild(cls: type[AirdefenseError], message: str, source: str, field: str) -> AirdefenseError:
    err = cls.__new__(cls)
    AirdefenseError.__init__(err, message, source=source, field=field)
    return err


def one_line(text: object) -> str:
    """``text`` on one line: runs of whitespace (newlines included) become one space."""
    return " ".join(str(text).split())
