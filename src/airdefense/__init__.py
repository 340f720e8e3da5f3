"""airdefense: a fast, honest simulator of a layered ground-based air-defence system.

The kill chain is the package layout: scenario -> world (truth) -> sensors (plots) ->
tracking -> engagement -> record -> report. See ARCHITECTURE.md.
"""

__version__ = "0.1.0"
