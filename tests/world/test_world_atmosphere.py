"""US Standard Atmosphere 1976 against the published tables (NOAA-S/T 76-1562, Table I)."""

import numpy as np
import pytest

from airdefense.world import atmosphere as atm


@pytest.mark.parametrize(
    ("z_m", "rho", "t_k", "p_pa"),
    [
        (0.0, 1.2250, 288.150, 101_325.0),
        (5_000.0, 0.73643, 255.676, 54_048.0),
        (10_000.0, 0.41351, 223.252, 26_500.0),
        (11_000.0, 0.36480, 216.774, 22_700.0),  # geometric 11 km
        (20_000.0, 0.088910, 216.650, 5_529.3),
        (32_000.0, 0.013555, 228.490, 889.06),
        (50_000.0, 1.0269e-3, 270.650, 79.779),
        (86_000.0, 6.958e-6, 186.87, 0.37338),
    ],
)
def test_geometric_table(z_m: float, rho: float, t_k: float, p_pa: float) -> None:
    assert atm.density_kg_m3(z_m) == pytest.approx(rho, rel=2e-4)
    assert atm.temperature_k(z_m) == pytest.approx(t_k, abs=0.01)
    assert atm.pressure_pa(z_m) == pytest.approx(p_pa, rel=2e-4)


@pytest.mark.parametrize(
    ("h_geopot", "rho", "t_k"),
    [(11_000.0, 0.36392, 216.65), (20_000.0, 0.088035, 216.65), (47_000.0, 1.4275e-3, 270.65)],
)
def test_geopotential_layer_bases(h_geopot: float, rho: float, t_k: float) -> None:
    z = atm.R0 * h_geopot / (atm.R0 - h_geopot)  # inverse of eq. (18)
    assert atm.geopotential_height_m(z) == pytest.approx(h_geopot)
    assert atm.density_kg_m3(z) == pytest.approx(rho, rel=2e-4)
    assert atm.temperature_k(z) == pytest.approx(t_k, abs=1e-6)


def test_speed_of_sound_and_vectorised() -> None:
    assert atm.speed_of_sound_mps(0.0) == pytest.approx(340.294, abs=1e-3)
    z = np.linspace(0.0, 120_000.0, 1200).reshape(3, -1)
    rho = atm.density_kg_m3(z)
    assert rho.shape == z.shape
    assert np.all(np.isfinite(rho)) and np.all(np.diff(rho.ravel()) < 0.0)
    # Tail above 86 km: within 5 % of the standard's 100 km value 5.604e-7.
    assert atm.density_kg_m3(100_000.0) == pytest.approx(5.604e-7, rel=0.05)


def test_density_lookup_matches_the_formulas() -> None:
    h = np.linspace(-4_000.0, 140_000.0, 20_011)
    np.testing.assert_allclose(atm.density_lookup_kg_m3(h), atm.density_kg_m3(h), rtol=5e-5)
