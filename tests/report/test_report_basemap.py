"""The basemap: TopoJSON decoding, Natural Earth's coasts and borders where the world has them,
and the plan view drawing them when the scenario sits on land (a plain grid at sea)."""

from __future__ import annotations

import base64
import io
import math
import re
from pathlib import Path

import duckdb
import matplotlib.colors as mcolors
import matplotlib.image as mimage
import numpy as np
import pytest
from report_synthetic_run import make_run

from airdefense.geo import Frame
from airdefense.report import figures, load_run, write_report
from airdefense.report.basemap import (
    arc_line,
    basemap_from_topology,
    decode_arcs,
    load_basemap,
    plan_basemap,
)


def _km_to_nearest(lines: list[np.ndarray], lat: float, lon: float) -> float:
    """Great-circle distance (km, mean Earth) from a point to the nearest vertex of lines."""
    pts = np.concatenate(lines)
    la, lo = np.radians(pts[:, 1]), np.radians(pts[:, 0])
    la0, lo0 = math.radians(lat), math.radians(lon)
    hav = np.sin((la - la0) / 2) ** 2 + math.cos(la0) * np.cos(la) * np.sin((lo - lo0) / 2) ** 2
    return float(6371.0 * 2 * np.arcsin(np.sqrt(hav)).min())


def test_decode_quantized_arcs_by_the_specification() -> None:
    # TopoJSON 1.0, 2.1.2/2.2: first position absolute, then deltas; x * scale + translate
    topo = {
        "transform": {"scale": [0.5, 0.25], "translate": [10.0, 20.0]},
        "arcs": [[[4, 8], [2, -4], [-6, 0]], [[0, 4], [0, 4]]],
    }
    first, second = decode_arcs(topo)
    np.testing.assert_allclose(first, [[12.0, 22.0], [13.0, 21.0], [10.0, 21.0]])
    np.testing.assert_allclose(second, [[10.0, 21.0], [10.0, 22.0]])
    # without a transform positions are taken as they are
    (plain,) = decode_arcs({"arcs": [[[1.5, 2.5], [3.0, 4.0]]]})
    np.testing.assert_allclose(plain, [[1.5, 2.5], [3.0, 4.0]])
    # ~0 is arc 0 reversed; a joined arc's repeated first point is dropped
    ring = arc_line([first, second], [1, ~0])
    np.testing.assert_allclose(ring, [[10.0, 21.0], [10.0, 22.0], [13.0, 21.0], [12.0, 22.0]])


def test_borders_are_the_arcs_two_countries_share() -> None:
    # two squares side by side: arc 0 is their common edge, arcs 1 and 2 the outer sides
    topo = {
        "arcs": [
            [[1.0, 0.0], [1.0, 1.0]],
            [[1.0, 1.0], [0.0, 1.0], [0.0, 0.0], [1.0, 0.0]],
            [[1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0]],
        ],
        "objects": {
            "countries": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0, 1]]},
                    {"type": "MultiPolygon", "arcs": [[[2, ~0]]]},
                    {"type": None},
                ],
            },
            "land": {
                "type": "GeometryCollection",
                "geometries": [{"type": "MultiPolygon", "arcs": [[[1, 2]]]}],
            },
        },
    }
    bm = basemap_from_topology(topo)
    assert len(bm.borders) == 1
    np.testing.assert_allclose(bm.borders[0], [[1.0, 0.0], [1.0, 1.0]])
    assert len(bm.coastlines) == 2 and len(bm.land) == 1
    assert bm.land[0][0].shape == (7, 2)  # 4 + 4 points, the shared corner once


def test_natural_earth_coasts_and_borders_where_the_world_has_them() -> None:
    bm = load_basemap()
    assert len(bm.coastlines) > 1000 and len(bm.borders) > 300
    # Cabo da Roca, the westernmost point of mainland Europe, 38.781 N 9.499 W
    pts = np.concatenate(bm.coastlines)
    near = pts[(np.abs(pts[:, 1] - 38.78) < 0.3) & (pts[:, 0] > -10.0) & (pts[:, 0] < -8.5)]
    assert near[:, 0].min() == pytest.approx(-9.50, abs=0.05)
    # Dover is on the coast; Bern is ~250 km from the sea
    assert _km_to_nearest(bm.coastlines, 51.127, 1.313) < 5.0
    assert _km_to_nearest(bm.coastlines, 46.948, 7.447) > 200.0
    # the Swiss-French-German tripoint at Basel is on a border; the open Atlantic is not
    assert _km_to_nearest(bm.borders, 47.590, 7.589) < 5.0
    assert _km_to_nearest(bm.borders, 40.0, -30.0) > 500.0


def test_plan_basemap_is_cut_to_the_view_and_in_the_run_frame() -> None:
    frame = Frame.from_degrees(47.0, 8.0)  # the bundled Vessa scenarios: central Switzerland
    extent = (-300.0, 300.0, -300.0, 300.0)
    cut = plan_basemap(frame, extent)
    assert not cut.empty and cut.borders and cut.land
    for line in cut.borders + cut.coastlines:
        assert np.all(np.abs(line) < 300.0 * 1.6)  # km, nothing from far away
    # the border vertex nearest Basel is drawn where the run's frame puts it (about 31 km
    # west and 66 km north of the origin)
    raw = np.concatenate(load_basemap().borders)
    lon, lat = raw[np.argmin(np.hypot(raw[:, 0] - 7.589, raw[:, 1] - 47.590))]
    east, north, _ = frame.geodetic_to_enu(math.radians(lat), math.radians(lon), 0.0) / 1e3
    assert east == pytest.approx(-31.0, abs=5.0) and north == pytest.approx(65.6, abs=5.0)
    drawn = np.concatenate(cut.borders)
    assert np.min(np.hypot(drawn[:, 0] - east, drawn[:, 1] - north)) < 1e-6
    # mid-Pacific: nothing to draw
    assert plan_basemap(Frame.from_degrees(0.0, -140.0), extent).empty


def _set_origin(db: Path, lat: float, lon: float) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'origin_lat_deg'", [str(lat)])
        con.execute("UPDATE meta SET value = ? WHERE key = 'origin_lon_deg'", [str(lon)])


def _plan_png(page: str) -> np.ndarray:
    uri = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="plan view"', page)
    assert uri
    return mimage.imread(io.BytesIO(base64.b64decode(uri.group(1))), format="png")


def _share_of(img: np.ndarray, color: str) -> float:
    rgb = np.asarray(mcolors.to_rgb(color))
    return float(np.mean(np.all(np.abs(img[..., :3] - rgb) < 2.5 / 255, axis=-1)))


def test_plan_view_draws_the_map_on_land_and_a_plain_grid_at_sea(tmp_path: Path) -> None:
    land = tmp_path / "land"
    make_run(land)  # origin 52 N 21 E: Poland, inland with borders in view
    page = write_report(land).read_text(encoding="utf-8")
    assert "Basemap: Coastlines and borders: Natural Earth" in page
    img = _plan_png(page)
    assert _share_of(img, figures.LAND_COLOR) > 0.2
    assert _share_of(img, figures.SEA_COLOR) > 0.01  # the Baltic, in this wide view

    sea = tmp_path / "sea"
    _set_origin(make_run(sea), 0.0, -140.0)  # the middle of the Pacific
    page = write_report(sea).read_text(encoding="utf-8")
    assert "No coastline or border in this area: plain grid" in page
    img = _plan_png(page)
    assert _share_of(img, figures.LAND_COLOR) < 1e-3  # a stray anti-aliased pixel at most
    assert _share_of(img, figures.SEA_COLOR) < 1e-3
    run = load_run(sea)
    assert figures.plan_basemap(run, figures.plan_extents(run)[0]).empty
