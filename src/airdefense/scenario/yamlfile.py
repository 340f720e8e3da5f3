"""Reading a YAML file someone else wrote: a regular file of bounded size, UTF-8 text, a
document of bounded size and depth once its aliases are expanded, no key twice.

PyYAML's ``safe_load`` builds no objects but data; it still lets a 439-byte file of nested
aliases (``&a [*b, *b, ...]``) stand for a billion nodes, recurses once per level of nesting
(a 20,000-deep list is a RecursionError), reads whatever ``open`` returns (``/dev/zero``
never ends, a FIFO blocks) and keeps the last of two equal keys. Here, before anything is
built: the file must be a regular file of at most :data:`MAX_FILE_BYTES`, without NUL bytes,
in UTF-8; the parser's events are counted in one pass (no recursion) with every alias
expanded, and a document of more than :data:`MAX_NODES` nodes or :data:`MAX_DEPTH` levels is
refused; only then is it composed and constructed, by a safe loader that refuses a key
given twice. Every refusal is a :class:`YamlProblem` (where, what), which the scenario and
tracker-file loaders report as their one line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

#: Largest file read (a scenario is a few kB: this refuses a wrong file at once).
MAX_FILE_BYTES = 5 * 1024**2
#: Most nodes (scalars, lists, mappings) a document may stand for, aliases expanded.
MAX_NODES = 200_000
#: Deepest nesting of lists and mappings (a scenario nests five or six levels).
MAX_DEPTH = 50


class YamlProblem(Exception):
    """A file that is not a YAML document this tool reads: ``where`` (``line L, column C``
    or empty) and ``message``."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


def read_text(path: str | Path, what: str) -> str:
    """The text of a regular file of at most :data:`MAX_FILE_BYTES` (``what`` it should be
    names it in messages); YamlProblem for anything else, OSError from the system."""
    p = Path(path)
    st = os.stat(p)  # FileNotFoundError, PermissionError: the caller says it in a line
    if stat.S_ISDIR(st.st_mode):
        raise YamlProblem("", f"is a directory, not {what}")
    if not stat.S_ISREG(st.st_mode):
        raise YamlProblem("", f"is not a regular file (a device, pipe or socket), not {what}")
    with open(p, "rb") as fh:  # /proc files report size 0: read at most one byte too many
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise YamlProblem("", f"file is over {MAX_FILE_BYTES // 1024**2} MB, not {what}")
    if b"\0" in data:
        raise YamlProblem("", f"is a binary file (it holds NUL bytes), not {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlProblem("", "not a UTF-8 text file") from None


def load(text: str) -> Any:
    """The data of one YAML document, checked as the module docstring says; YamlProblem
    for a document that is invalid, too big, too deep, or gives a key twice."""
    try:
        _check_size(text)
        loader = _Loader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise YamlProblem(where, f"invalid YAML ({exc.problem})") from None
    except yaml.YAMLError as exc:
        raise YamlProblem("", f"invalid YAML ({' '.join(str(exc).split())})") from None
    except RecursionError:  # cannot happen within MAX_DEPTH; kept as a last guard
        raise YamlProblem("", f"nested more than {MAX_DEPTH} levels deep") from None


def _check_size(text: str) -> None:
    """Count the document's nodes with every alias expanded, and its depth, from the
    parser's events in one pass; refuse past the limits before anything is built."""
    nodes = 0
    size: dict[str, int] = {}  # anchor -> nodes of the anchored subtree
    open_: list[tuple[str | None, int]] = []  # (anchor, nodes before) per open collection
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            nodes += size.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor:
                size[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            open_.append((event.anchor, nodes))
            nodes += 1
            if len(open_) > MAX_DEPTH:
                raise YamlProblem(_where(event), f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before = open_.pop()
            if anchor:
                size[anchor] = nodes - before
        if nodes > MAX_NODES:
            raise YamlProblem(
                _where(event),
                f"stands for more than {MAX_NODES:,} values once its aliases are expanded "
                "(a YAML alias bomb?)",
            )


def _where(event: yaml.Event) -> str:
    mark = event.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a mapping key given twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                fresh = key not in seen
            except TypeError:  # an unhashable key: the base class says so
                break
            if not fresh:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)
