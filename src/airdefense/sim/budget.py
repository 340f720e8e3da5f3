"""What a run will cost, estimated before its loop starts, against limits of memory and time.

The truth's memory is checked with the scenario (``scenario.load``: objects x time steps).
What the radars will make depends on each radar's cells and scan period: every scan sweeps
``cells = range cells x azimuth beams x elevation beams`` and draws ``Pfa x cells`` false
alarms, and every object in coverage is looked at once a scan. So over a run a radar makes
about ``(Pfa x cells + objects) x duration / scan_period`` plots and evaluates
``objects x duration / scan_period`` looks. A scenario past :data:`MAX_PLOTS` (the plots
table and the tracker's copies of it, ~2 GB) or :data:`MAX_LOOKS` (about ten minutes of the
radar kernel) is refused with one line naming the radar and what to change, before any time
is spent.
"""

from __future__ import annotations

from airdefense.errors import AirdefenseError
from airdefense.sensors import Radar
from airdefense.types.theatre import Theatre

#: Most plots a run may make (~100 bytes a plot in the record, more in the tracker).
MAX_PLOTS = 20_000_000
#: Most (object, scan) looks a run may evaluate (the radar kernel evaluates ~10 million a
#: second on one core of the benchmark machine).
MAX_LOOKS = 5_000_000_000


class RunTooBig(AirdefenseError):
    """A run whose radars would make more plots or looks than a run may."""


def check_budget(theatre: Theatre, radars: list[Radar], n_objects: int) -> None:
    """Refuse a run whose radars would make more than :data:`MAX_PLOTS` plots or evaluate
    more than :data:`MAX_LOOKS` looks (estimates, see the module docstring)."""
    plots = looks = 0.0
    for radar in radars:
        field = f"sensors[{radar.sensor_id}]"
        scans = theatre.duration_s / radar.period_s
        false_alarms = radar.false_alarms_per_scan * scans
        if false_alarms > MAX_PLOTS:
            raise RunTooBig(
                f"{radar.preset.name} would draw about {false_alarms:.3g} false alarms in the "
                f"run ({radar.cells_per_scan:.3g} cells a scan x pfa {radar.preset.pfa:g} x "
                f"{scans:,.0f} scans; at most {MAX_PLOTS:,}): raise range_resolution_m or the "
                "beamwidths, lower pfa, or shorten duration_s",
                source=theatre.source,
                field=field,
            )
        looks += n_objects * scans
        plots += false_alarms + n_objects * scans
    if looks > MAX_LOOKS or plots > MAX_PLOTS:
        raise RunTooBig(
            f"the radars would evaluate about {looks:.3g} looks and make up to {plots:.3g} "
            f"plots ({n_objects:,} objects, {theatre.duration_s:g} s; at most "
            f"{MAX_LOOKS:.3g} looks and {MAX_PLOTS:,} plots): lengthen scan_period_s, shorten "
            "duration_s or fly fewer objects",
            source=theatre.source,
            field="sensors",
        )
