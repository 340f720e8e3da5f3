"""A bounded fuzz of the YAML edge: mutants of a bundled scenario, and YAML documents built by
hypothesis spliced into it, either load and resolve into a theatre or are refused with one
:class:`~airdefense.errors.AirdefenseError` of one line. Never another exception."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airdefense.errors import AirdefenseError
from airdefense.scenario import library, parse_scenario, resolve
from airdefense.scenario.load import load_model
from airdefense.types.settings import TrackerSettings

BASE = library.bundled()["airliner-crossing"].read_text(encoding="utf-8")

#: Fragments a hostile file is made of: YAML's own syntax (anchors, aliases, tags, flow
#: collections, block indicators), numbers at and past every float's edge, and text that
#: breaks a line or an encoding.
TOKENS = [
    "&a ",
    "*a",
    "&b [*a, *a, *a]",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    ",",
    "? ",
    "|",
    ">",
    "!!python/object:os.system",
    "!!binary",
    "!!float",
    "!!int",
    "!!map",
    "!!str",
    "<<: *a",
    ".nan",
    ".inf",
    "-.inf",
    "1e308",
    "1e400",
    "-0",
    "0x10",
    "0o7",
    "1_000",
    "yes",
    "no",
    "~",
    "null",
    "''",
    '"\\u0000"',
    "\t",
    "\n",
    "\n  ",
    "\r\n",
    "#",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "\ufeff",
    "\u2028",
    "9" * 400,
    "seed",
    "count",
    "raids",
    "name",
]

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _one_line_or_theatre(text: str) -> None:
    """The contract under test: a theatre, or one AirdefenseError of one line."""
    try:
        resolve(parse_scenario(text, "fuzz.yaml"), "fuzz.yaml")
    except AirdefenseError as exc:
        line = str(exc)
        assert line and "\n" not in line and "Traceback" not in line, line


@st.composite
def mutants(draw: st.DrawFn) -> str:
    """The bundled file with a few cuts, splices and token insertions."""
    text = BASE
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        if op == "truncate":
            text = text[:at]
            continue
        token = draw(st.sampled_from(TOKENS) | st.text(max_size=8))
        span = draw(st.integers(0, 12))
        if op == "insert":
            text = text[:at] + token + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + span :]
        else:
            text = text[:at] + token + text[at + span :]
    return text


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
TOP_KEYS = [
    "seed",
    "duration_s",
    "origin",
    "sensors",
    "raids",
    "batteries",
    "assets",
    "doctrine",
    "civil_traffic",
    "tracking",
    "rules_of_engagement",
    "name",
    "unknown_field",
]


@SETTINGS
@given(mutants())
def test_mutated_scenario_is_a_theatre_or_one_line(text: str) -> None:
    _one_line_or_theatre(text)


@SETTINGS
@given(st.sampled_from(TOP_KEYS), DOCUMENTS)
def test_any_document_under_a_field_is_a_theatre_or_one_line(key: str, value: object) -> None:
    data = yaml.safe_load(BASE)
    data[key] = value
    _one_line_or_theatre(yaml.safe_dump(data, allow_unicode=True))


@SETTINGS
@given(DOCUMENTS)
def test_any_document_as_the_whole_file_is_one_line(value: object) -> None:
    _one_line_or_theatre(yaml.safe_dump(value, allow_unicode=True))


@SETTINGS
@given(st.sampled_from([*TOKENS, "max_misses: ", "gate: ", "q: "]), DOCUMENTS)
def test_tracker_settings_file_is_settings_or_one_line(
    tmp_path_factory, token: str, value: object
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "tracker.yaml"
    path.write_text(token + yaml.safe_dump(value, allow_unicode=True), encoding="utf-8")
    try:
        load_model(path, TrackerSettings, "tracker settings")
    except AirdefenseError as exc:
        assert "\n" not in str(exc), str(exc)
