"""Radar equation against published worked examples."""

import numpy as np
import pytest

from airdefense.sensors import radar_equation_snr_db


def test_mathworks_radareqsnr_example_1() -> None:
    # MathWorks Radar Toolbox, radareqsnr documentation, first example
    # (https://uk.mathworks.com/help/radar/ref/radareqsnr.html): 1 GHz, Pt 1 MW, tau 0.2 us,
    # G 20 dB, Ts 290 K, RCS 1 m^2, R 50 km -> 5.5868 dB.
    snr = radar_equation_snr_db(1e6, 20.0, 1e9, 1.0, 50e3, 290.0, 0.2e-6)
    assert snr == pytest.approx(5.5868, abs=0.005)


def test_mathworks_radareqsnr_example_2() -> None:
    # Same page, second example: 10 GHz, Pt 1 MW, tau 1 us, RCS 0.5 m^2, R 100 km,
    # G 40 dB, Ts 300 K, L 3 dB -> 14.3778 dB.
    snr = radar_equation_snr_db(1e6, 40.0, 10e9, 0.5, 100e3, 300.0, 1e-6, losses_db=3.0)
    assert snr == pytest.approx(14.3778, abs=0.005)


def test_fourth_power_law_and_broadcasting() -> None:
    r = np.array([10e3, 20e3, 40e3])
    snr = radar_equation_snr_db(1e6, 30.0, 3e9, np.array([[1.0], [10.0]]), r, 500.0, 1e-6)
    assert snr.shape == (2, 3)
    assert np.allclose(np.diff(snr[0]), -40.0 * np.log10(2.0))
    assert np.allclose(snr[1] - snr[0], 10.0)


def test_n_pulses_does_not_change_single_pulse_snr() -> None:
    a = radar_equation_snr_db(1e6, 30.0, 3e9, 1.0, 50e3, 500.0, 1e-6, n_pulses=1)
    b = radar_equation_snr_db(1e6, 30.0, 3e9, 1.0, 50e3, 500.0, 1e-6, n_pulses=16)
    assert a == b
