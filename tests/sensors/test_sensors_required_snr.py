"""required_snr_db against the issue's published values, and as the exact inverse of
detection_probability for Swerling 1 and 2."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airdefense.sensors import detection_probability, required_snr_db


def test_published_single_pulse_values() -> None:
    # Albersheim (1981): Pd 0.9, Pfa 1e-6, N 1 -> 13.11 dB.
    assert float(required_snr_db(0.9, 1e-6)) == pytest.approx(13.11, abs=0.02)
    # Swerling 1, one pulse, exact ln(Pfa)/ln(Pd) - 1 (Richards 2014, sec. 6.3): 21.14 dB.
    assert float(required_snr_db(0.9, 1e-6, 1, 1)) == pytest.approx(21.14, abs=0.01)
    # Shnidman (2002) on the same case, by hand from eqs. (1)-(8): 21.35 dB.
    assert float(required_snr_db(0.9, 1e-6, 1, 1, method="shnidman")) == pytest.approx(
        21.35, abs=0.01
    )


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.05, 0.995),
    st.sampled_from([1e-8, 1e-6, 1e-4]),
    st.integers(1, 40),
    st.sampled_from([1, 2]),
)
def test_exact_swerling_1_2_round_trip(pd: float, pfa: float, n: int, swerling: int) -> None:
    snr = float(required_snr_db(pd, pfa, n, swerling))
    assert float(detection_probability(snr, pfa, n, swerling)) == pytest.approx(pd, abs=2e-4)
    # and Shnidman's approximation agrees with it to its stated ~1 dB, where it claims to
    if 0.1 <= pd <= 0.99 and n <= 100:  # Shnidman's stated domain
        assert abs(float(required_snr_db(pd, pfa, n, swerling, method="shnidman")) - snr) < 1.0


def test_broadcasting_and_shapes() -> None:
    out = required_snr_db(np.array([[0.5], [0.9]]), 1e-6, np.array([1, 4, 10]), 1)
    assert out.shape == (2, 3)
    assert np.all(np.diff(out, axis=0) > 0)  # more Pd needs more SNR
    assert np.all(np.diff(out, axis=1) < 0)  # more pulses need less single-pulse SNR


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method"):
        required_snr_db(0.9, 1e-6, 1, 1, method="exactish")  # type: ignore[arg-type]
