"""Tests of the preset catalogue: validity, sourcing, cross-references and reported figures.

The radar-equation check is written out here on purpose: it must not depend on
``airdefense.sensors``, so it is an independent check of the transmitter assumptions.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from pydantic import BaseModel
from scipy.optimize import brentq
from scipy.special import gammainc, gammainccinv

from airdefense.systems import catalog
from airdefense.systems.models import RadarPreset

BOLTZMANN = 1.380649e-23  # J/K, exact (SI 2019)
LIGHT_SPEED = 299_792_458.0  # m/s, exact

ALL_PRESETS: list[BaseModel] = [
    *catalog.RADARS.values(),
    *catalog.THREATS.values(),
    *catalog.MISSILES.values(),
    *catalog.BATTERIES.values(),
]
PRESET_IDS = [p.name for p in ALL_PRESETS]  # type: ignore[attr-defined]
META_FIELDS = {"name", "description", "sources"}


# ---------------------------------------------------------------------------------------------
# Radar equation and Swerling 1 detection, written out independently of airdefense.sensors
# ---------------------------------------------------------------------------------------------


def single_pulse_snr(radar: RadarPreset, rcs_m2: float, range_m: float) -> float:
    """Single-pulse SNR of the radar equation (linear).

    SNR = Pt G^2 lambda^2 sigma tau / ((4 pi)^3 k Ts R^4 L), with the noise bandwidth taken as
    1/tau (matched filter). Richards, *Fundamentals of Radar Signal Processing*, 2nd ed. (2014),
    sec. 2.3; Skolnik, *Introduction to Radar Systems*, 3rd ed. (2001), ch. 2.
    """
    wavelength = LIGHT_SPEED / radar.frequency_hz
    gain = 10.0 ** (radar.antenna_gain_db / 10.0)
    losses = 10.0 ** (radar.losses_db / 10.0)
    numerator = radar.peak_power_w * gain**2 * wavelength**2 * rcs_m2 * radar.pulse_width_s
    denominator = (
        (4.0 * math.pi) ** 3 * BOLTZMANN * radar.system_noise_temperature_k * range_m**4 * losses
    )
    return numerator / denominator


def pd_swerling1(snr: float, n: int, pfa: float) -> float:
    """Pd of a Swerling 1 target, square-law detector, n pulses integrated non-coherently.

    Threshold: Pfa = Q(n, Vt), the upper regularised incomplete gamma function. Then (Swerling
    1960; DiFranco and Rubin, *Radar Detection*, 1968; Mahafza, *Radar Systems Analysis and Design
    Using MATLAB*, ch. 2, "Swerling I targets"), with snr the single-pulse SNR:
        n = 1: Pd = exp(-Vt / (1 + snr))
        n > 1: Pd = 1 - P(n-1, Vt) + (1 + 1/(n snr))^(n-1) P(n-1, Vt / (1 + 1/(n snr)))
                    * exp(-Vt / (1 + n snr))
    where P is the lower regularised incomplete gamma function.
    """
    vt = float(gammainccinv(n, pfa))
    if n == 1:
        return math.exp(-vt / (1.0 + snr))
    a = 1.0 + 1.0 / (n * snr)
    return float(
        1.0
        - gammainc(n - 1, vt)
        + a ** (n - 1) * gammainc(n - 1, vt / a) * math.exp(-vt / (1.0 + n * snr))
    )


def required_snr_swerling1(pd: float, n: int, pfa: float) -> float:
    """Single-pulse SNR (linear) at which pd_swerling1 reaches pd."""
    return brentq(lambda s: pd_swerling1(s, n, pfa) - pd, 1e-6, 1e9, xtol=1e-12, rtol=1e-12)


def detection_range_km(radar: RadarPreset, rcs_m2: float, pd: float = 0.5) -> float:
    """Free-space range where a Swerling 1 target of rcs_m2 is detected with probability pd."""
    snr_needed = required_snr_swerling1(pd, radar.pulses_integrated, radar.pfa)
    snr_at_1m = single_pulse_snr(radar, rcs_m2, 1.0)
    return (snr_at_1m / snr_needed) ** 0.25 / 1000.0


def test_swerling1_single_pulse_closed_form() -> None:
    # One pulse: Pd = Pfa^(1/(1+SNR)). Pd 0.9, Pfa 1e-6 needs ~21.1 dB (Skolnik, ch. 2: ~8 dB
    # fluctuation loss over the ~13.2 dB of a steady target).
    snr = required_snr_swerling1(0.9, 1, 1e-6)
    assert snr == pytest.approx(math.log(1e-6) / math.log(0.9) - 1.0, rel=1e-9)
    assert 10.0 * math.log10(snr) == pytest.approx(21.1, abs=0.1)


def test_swerling1_integration_matches_monte_carlo() -> None:
    # Swerling 1: one Rayleigh amplitude per dwell, n pulses in complex Gaussian noise, square-law
    # detector summed over the dwell.
    rng = np.random.default_rng(20240611)
    n, snr, pfa, trials = 6, 2.0, 1e-3, 100_000
    vt = float(gammainccinv(n, pfa))
    amplitude = np.sqrt(snr * rng.exponential(size=trials))[:, None]
    phase = rng.uniform(0.0, 2.0 * np.pi, size=(trials, n))
    noise = (rng.standard_normal((trials, n)) + 1j * rng.standard_normal((trials, n))) / np.sqrt(2)
    power = np.sum(np.abs(amplitude * np.exp(1j * phase) + noise) ** 2, axis=1)
    assert np.mean(power > vt) == pytest.approx(pd_swerling1(snr, n, pfa), abs=0.01)


def test_91n6e_detects_a_large_target_at_the_reported_600_km() -> None:
    radar = catalog.RADARS["91n6e-class"]
    rcs_m2, reported_km = catalog.RADAR_DESIGN_POINTS["91n6e-class"]
    assert 10.0 <= rcs_m2 <= 100.0  # a large target (DOMAIN.md: airliner 10-100 m^2)
    assert reported_km == 600.0  # Sputnik Arabic, 2019
    assert detection_range_km(radar, rcs_m2) == pytest.approx(600.0, rel=0.10)
    # a 1 m^2 fighter is seen well beyond the ~250 km aircraft engagement range reported
    fighter_km = detection_range_km(radar, 1.0)
    assert 250.0 < fighter_km < 600.0


@pytest.mark.parametrize("name", sorted(catalog.RADARS))
def test_radar_reproduces_its_design_point(name: str) -> None:
    rcs_m2, range_km = catalog.RADAR_DESIGN_POINTS[name]
    assert detection_range_km(catalog.RADARS[name], rcs_m2) == pytest.approx(range_km, rel=0.05)


def test_every_radar_has_a_design_point() -> None:
    assert set(catalog.RADAR_DESIGN_POINTS) == set(catalog.RADARS)


@pytest.mark.parametrize("name", sorted(catalog.RADARS))
def test_pulses_fit_the_dwell_of_rotating_radars(name: str) -> None:
    radar = catalog.RADARS[name]
    if radar.scan != "rotating":
        pytest.skip("sector radars dwell per beam position")
    dwell_s = radar.scan_period_s * radar.azimuth_beamwidth_deg / 360.0
    max_prf_hz = LIGHT_SPEED / (2.0 * radar.max_range_km * 1000.0)  # unambiguous range
    assert radar.pulses_integrated <= dwell_s * max_prf_hz


# ---------------------------------------------------------------------------------------------
# Validity and sourcing
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ALL_PRESETS, ids=PRESET_IDS)
def test_every_preset_validates(preset: BaseModel) -> None:
    again = type(preset).model_validate(preset.model_dump())
    assert again == preset
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", preset.name)  # type: ignore[attr-defined]
    assert preset.description  # type: ignore[attr-defined]


def test_keys_are_preset_names() -> None:
    for table in catalog.KINDS.values():
        for key, preset in table.items():
            assert key == preset.name


@pytest.mark.parametrize("preset", ALL_PRESETS, ids=PRESET_IDS)
def test_every_set_numeric_field_has_a_source(preset: BaseModel) -> None:
    sources: dict[str, str] = preset.sources  # type: ignore[attr-defined]
    for field_name, info in type(preset).model_fields.items():
        if field_name in META_FIELDS:
            continue
        value = getattr(preset, field_name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if info.is_required() or value != info.default:
            assert sources.get(field_name, "").strip(), f"{preset.name}.{field_name} has no source"  # type: ignore[attr-defined]


@pytest.mark.parametrize("preset", ALL_PRESETS, ids=PRESET_IDS)
def test_sources_name_real_fields_and_give_reasons(preset: BaseModel) -> None:
    fields = set(type(preset).model_fields) - META_FIELDS
    for field_name, source in preset.sources.items():  # type: ignore[attr-defined]
        assert field_name in fields, f"source for unknown field {field_name}"
        if source.startswith("assumption"):
            assert source.startswith("assumption: ")
            assert len(source) > len("assumption: ") + 10, f"{field_name}: give a reason"


# ---------------------------------------------------------------------------------------------
# Cross-references and reported figures
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(catalog.BATTERIES))
def test_battery_names_exist(name: str) -> None:
    battery = catalog.BATTERIES[name]
    assert battery.surveillance_radar in catalog.RADARS
    assert battery.engagement_radar in catalog.RADARS
    assert catalog.RADARS[battery.engagement_radar].role == "engagement"
    for missile in battery.missiles:
        assert missile in catalog.MISSILES


def test_reported_battery_figures() -> None:
    s400 = catalog.BATTERIES["s-400-class"]
    assert (s400.target_channels, s400.missile_channels) == (36, 72)  # People's Daily, 2015
    assert s400.readiness_time_s == 300.0  # ~5 min, People's Daily, 2015
    patriot = catalog.BATTERIES["patriot-class"]
    assert patriot.launchers <= 8  # The War Zone, 2024
    assert patriot.surveillance_radar == patriot.engagement_radar == "mpq-65-class"
    assert catalog.RADARS["mpq-65-class"].scan == "sector"  # Reuters, 2013


# reported max range (km) per DOMAIN.md: (low, high) of the reported figure
REPORTED_MISSILE_RANGE_KM = {
    "40n6-class": (380.0, 402.0),
    "48n6-class": (240.0, 260.0),
    "9m96e2-class": (110.0, 130.0),
    "9m96e-class": (35.0, 45.0),
    "pac-2-gem-t-class": (150.0, 170.0),
}


@pytest.mark.parametrize("name", sorted(REPORTED_MISSILE_RANGE_KM))
def test_missile_ranges_match_reported(name: str) -> None:
    low, high = REPORTED_MISSILE_RANGE_KM[name]
    assert low <= catalog.MISSILES[name].max_range_km <= high


def test_pac3_mse_is_shorter_range_hit_to_kill() -> None:
    mse = catalog.MISSILES["pac-3-mse-class"]
    gem_t = catalog.MISSILES["pac-2-gem-t-class"]
    assert mse.max_range_km < gem_t.max_range_km
    assert mse.lethal_radius_m <= 5.0 < gem_t.lethal_radius_m


@pytest.mark.parametrize("name", sorted(catalog.MISSILES))
def test_missile_can_fly_its_range(name: str) -> None:
    missile = catalog.MISSILES[name]
    assert missile.max_range_km * 1000.0 < missile.max_speed_mps * missile.max_flight_time_s


def test_reported_threat_figures() -> None:
    threats = catalog.THREATS
    assert 1.0 <= threats["fighter-class"].rcs_m2 <= 5.0
    assert 10.0 <= threats["airliner-class"].rcs_m2 <= 100.0
    assert threats["airliner-class"].transponder
    assert not any(t.transponder for n, t in threats.items() if n != "airliner-class")
    assert 20_000.0 <= threats["loitering-shahed-class"].cost_usd <= 50_000.0
    assert 150.0 / 3.6 <= threats["loitering-shahed-class"].speed_mps <= 185.0 / 3.6
    assert 30.0 <= threats["cruise-tomahawk-class"].cruise_altitude_m <= 50.0
    assert threats["cruise-tomahawk-class"].max_range_km == 1600.0
    srbm = threats["srbm-iskander-class"]
    assert (srbm.min_range_km, srbm.max_range_km) == (50.0, 500.0)
    assert srbm.motion == "ballistic" and srbm.boost_time_s > 0.0


# ---------------------------------------------------------------------------------------------
# Lookup
# ---------------------------------------------------------------------------------------------


def test_get_returns_the_preset() -> None:
    assert catalog.get("radar", "91n6e-class") is catalog.RADARS["91n6e-class"]
    assert catalog.get("battery", "patriot-class") is catalog.BATTERIES["patriot-class"]
    assert catalog.known("missile") == sorted(catalog.MISSILES)


@pytest.mark.parametrize("kind", sorted(catalog.KINDS))
def test_get_unknown_name_lists_known_ones(kind: str) -> None:
    with pytest.raises(KeyError) as excinfo:
        catalog.get(kind, "no-such-preset")
    message = str(excinfo.value)
    assert "no-such-preset" in message
    for name in catalog.known(kind):
        assert name in message


def test_unknown_kind_lists_known_kinds() -> None:
    with pytest.raises(KeyError, match="radar, threat, missile, battery"):
        catalog.known("sam")
