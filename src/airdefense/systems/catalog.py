"""The preset catalogue: generic S-400-class and Patriot-class systems and the threats they face.

These are *generic models built from public reports*, not the data of any real system; that is
why every name carries "-class". A scenario names a preset (``91n6e-class``) and may override its
fields; see :mod:`airdefense.systems.models`.

Sourcing rule
-------------
Every numeric field a preset sets (every required field, and every optional one it changes from
the model's default) has an entry in the preset's ``sources``, naming one of:

* a public report, as the project's DOMAIN.md records it: publication and year;
* an encyclopedic reference, only for a figure that reference reports; a figure seen only in
  secondary listings and not checked against a primary source is marked "(check)";
* ``"assumption: <reason>"`` where nothing public exists, with a one-line engineering reason.

Radar transmitter parameters (peak power, gain, pulse width, noise temperature, losses) are never
public. They are assumptions chosen so that the radar equation reproduces a *reported* detection
range on a stated reference target; :data:`RADAR_DESIGN_POINTS` records that target and range for
each radar, and the tests check the radar equation against it. Detection ranges quoted below are
free-space figures for Pd 0.5 on a Swerling 1 target with the radar's own Pfa and pulse count;
the radar horizon shortens them against low flyers.

Long uncompressed pulses would eclipse the first kilometres of range; the presets assume a short
fill pulse covers that zone, so ``min_range_km`` keeps the model's default.
"""

from __future__ import annotations

from collections.abc import Mapping

from airdefense.systems.models import BatteryPreset, MissilePreset, RadarPreset, ThreatPreset

__all__ = [
    "BATTERIES",
    "KINDS",
    "MISSILES",
    "RADARS",
    "RADAR_DESIGN_POINTS",
    "THREATS",
    "get",
    "known",
]


def _assume(reason: str) -> str:
    return f"assumption: {reason}"


# ---------------------------------------------------------------------------------------------
# Public sources (as recorded in DOMAIN.md) and shared engineering reasons
# ---------------------------------------------------------------------------------------------

SPUTNIK_2019 = "Sputnik Arabic, 2019"
PEOPLES_DAILY_2015 = "People's Daily (French edition), 2015"
BUSINESS_INSIDER = "news coverage, e.g. Business Insider: S-400 engagement range 402 km (250 mi)"
DEFENSE_MIRROR = (
    "Defense Mirror, news item 39012 on a 96L6 radar lost in Crimea "
    "('96L6E ... can detect aerial targets up to 300 km')"
)
WAR_ZONE_2024 = "The War Zone, 2024"
REUTERS_2013 = "Reuters, 2013"
POLISH_PRESS = "Polish technical press (Patriot ceiling ~24 km)"
ENCYCLOPEDIC_S400 = (
    "encyclopedic sources as DOMAIN.md records them (e.g. Wikipedia, 'S-400 missile system')"
)
UNVERIFIED = "as recalled from encyclopedic listings, not verified here (check)"
EURONEWS_SHAHED = "Euronews and Ukrainian press (Shahed-136 class)"
NEWS_TOMAHAWK = "news coverage (Tomahawk class)"
TASS_RT_ISKANDER = "TASS, RT (Iskander class, 50-500 km)"
RCS_REFERENCES = "radar engineering references via DOMAIN.md (X band nominal)"

GAIN_FROM_BEAMWIDTH = _assume(
    "from the beamwidths, G ~ 41,253 * 0.6 / (az_deg * el_deg) (aperture efficiency ~0.6), rounded"
)
TX_FOR_RANGE = _assume(
    "not public; chosen with the other transmitter assumptions so that the radar equation "
    "reproduces the design point in RADAR_DESIGN_POINTS"
)
PFA_CFAR = _assume(
    "CFAR threshold set so that false plots stay at a few per scan over all the radar's "
    "resolution cells (Pfa x cells per scan ~ 2-4), as plot extractors are tuned in practice"
)
SYSTEM_ALTITUDES = f"{SPUTNIK_2019}: S-400 target altitudes 5 m to 30 km (system-level figure)"
PATRIOT_CEILING = f"{POLISH_PRESS} (system-level figure)"
SOLID_ISP = _assume(
    "delivered specific impulse of a composite solid motor, 230-260 s at sea level "
    "(Sutton and Biblarz, Rocket Propulsion Elements, 9th ed., 2017, ch. 12); not public"
)
AREA_FROM_DIAMETER = "pi d^2 / 4 of the body diameter reported in encyclopedic listings"
CD_SUPERSONIC = _assume(
    "mean zero-lift drag coefficient of a slender finned body over its supersonic flight, "
    "0.2-0.4 on the body cross-section (Fleeman, Tactical Missile Design, 2nd ed., 2006, ch. 2)"
)
CN_MAX_WINGED = _assume(
    "trimmed normal-force coefficient of a body with wings or strakes on the body "
    "cross-section at ~20 deg angle of attack, order 10-20 (Fleeman 2006, ch. 2); gives the "
    "structural limit at sea level above ~Mach 1 and ~1-3 g at 30 km"
)
SUSTAIN_PROFILE = _assume(
    "a long low-thrust tail after the boost (boost-sustain grain): the public figures give only "
    "top speed and range, and a point mass reaches both only if thrust lasts into thin air"
)
PROPELLANT_FOR_SPEED = _assume(
    "propellant mass chosen so that the flyout model's peak speed on a long lofted shot "
    "matches max_speed_mps and its reach covers max_range_km within max_flight_time_s "
    "(tests/engagement/test_flyout.py checks both)"
)
RELIABILITY = _assume(
    "single-shot reliability (motor, guidance, fuze) of a mature SAM round, ~0.9; "
    "WTA studies use single-shot Pk 0.6-0.9 (Ahuja et al. 2007, via DOMAIN.md)"
)
BLAST_FRAG_PK = _assume(
    "blast-fragmentation warhead within its lethal radius: aircraft, drones and cruise "
    "missiles are soft (0.9-0.95); a ballistic re-entry body's warhead often survives a "
    "near miss (~0.6)"
)


# ---------------------------------------------------------------------------------------------
# Radars
# ---------------------------------------------------------------------------------------------

#: radar name -> (reference RCS m^2, free-space detection range km at Pd 0.5, Swerling 1, the
#: radar's own Pfa and pulses). The transmitter assumptions of each radar reproduce this point.
RADAR_DESIGN_POINTS: dict[str, tuple[float, float]] = {
    "91n6e-class": (10.0, 600.0),  # reported ~600 km (Sputnik Arabic 2019) on a large target
    "96l6e-class": (10.0, 300.0),  # reported ~300 km (Defense Mirror) on a large target
    "92n6e-class": (10.0, 400.0),  # must support the ~400 km engagement range on a large target
    "mpq-65-class": (1.0, 170.0),  # must support PAC-2 GEM-T-class ~160 km against a fighter
    "gap-filler": (1.0, 110.0),  # a low-level radar to fill horizon gaps, fighter-size target
}

_RADAR_LIST = [
    RadarPreset(
        name="91n6e-class",
        description="S-400-class long-range surveillance radar: rotating, S band, ~600 km.",
        role="surveillance",
        scan="rotating",
        frequency_hz=3.0e9,
        peak_power_w=96_000.0,
        antenna_gain_db=40.0,
        pulse_width_s=100e-6,
        range_resolution_m=150.0,
        system_noise_temperature_k=500.0,
        losses_db=10.0,
        pulses_integrated=6,
        pfa=1e-7,
        scan_period_s=10.0,
        azimuth_beamwidth_deg=1.2,
        elevation_beamwidth_deg=2.0,
        max_range_km=600.0,
        sources={
            "frequency_hz": _assume(f"S band for 91N6E (NATO 'Big Bird'), {UNVERIFIED}"),
            "peak_power_w": TX_FOR_RANGE,
            "antenna_gain_db": GAIN_FROM_BEAMWIDTH,
            "pulse_width_s": _assume(
                "long pulse with ~100:1 compression, common for S-band search"
            ),
            "range_resolution_m": _assume("1 MHz compressed bandwidth, adequate for surveillance"),
            "system_noise_temperature_k": _assume("typical S-band receiver, NF ~3 dB plus antenna"),
            "losses_db": _assume(
                "total: RF, scanning/beam-shape, signal processing and ~2 dB atmosphere at range"
            ),
            "pulses_integrated": _assume(
                "dwell = 10 s * 1.2 deg / 360 deg = 33 ms at PRF 200 Hz "
                "(750 km unambiguous) gives 6 pulses"
            ),
            "pfa": PFA_CFAR,
            "scan_period_s": _assume("6 rpm, typical of long-range surveillance radars"),
            "azimuth_beamwidth_deg": _assume("S band, ~8 m wide aperture: ~1.2 deg"),
            "elevation_beamwidth_deg": _assume("pencil beam stepped in elevation, ~2 deg"),
            "max_range_km": f"{SPUTNIK_2019}: detection range up to 600 km",
        },
    ),
    RadarPreset(
        name="96l6e-class",
        description="S-400-class all-altitude detector on a mast: rotating, C band, faster scan.",
        role="surveillance",
        scan="rotating",
        frequency_hz=5.5e9,
        peak_power_w=62_300.0,
        antenna_gain_db=39.0,
        pulse_width_s=50e-6,
        range_resolution_m=75.0,
        system_noise_temperature_k=600.0,
        losses_db=10.0,
        pulses_integrated=8,
        pfa=1e-7,
        scan_period_s=5.0,
        azimuth_beamwidth_deg=1.5,
        elevation_beamwidth_deg=2.0,
        max_range_km=300.0,
        antenna_height_m=25.0,
        sources={
            "frequency_hz": _assume(
                f"C band for 96L6E, {UNVERIFIED}; {DEFENSE_MIRROR} says X band: "
                "the reports disagree"
            ),
            "peak_power_w": TX_FOR_RANGE,
            "antenna_gain_db": GAIN_FROM_BEAMWIDTH,
            "pulse_width_s": _assume("moderate pulse with compression, shorter range than 91N6E"),
            "range_resolution_m": _assume("2 MHz compressed bandwidth"),
            "system_noise_temperature_k": _assume("typical C-band receiver, NF ~3.5 dB"),
            "losses_db": _assume("total: RF, scanning/beam-shape, processing, atmosphere"),
            "pulses_integrated": _assume(
                "dwell = 5 s * 1.5 deg / 360 deg = 21 ms at PRF 400 Hz (375 km unambiguous)"
            ),
            "pfa": PFA_CFAR,
            "scan_period_s": _assume("12 rpm: faster than the long-range radar, for low flyers"),
            "azimuth_beamwidth_deg": _assume("C band, ~3 m wide aperture: ~1.5 deg"),
            "elevation_beamwidth_deg": _assume("pencil beam stepped in elevation, ~2 deg"),
            "max_range_km": DEFENSE_MIRROR,
            "antenna_height_m": _assume(
                "on a 40V6M-type mobile tower, reported ~24-39 m in encyclopedic listings (check); "
                "the low end is taken"
            ),
        },
    ),
    RadarPreset(
        name="92n6e-class",
        description="S-400-class engagement radar: phased array, X band, sector-scanning.",
        role="engagement",
        scan="sector",
        sector_width_deg=90.0,
        frequency_hz=9.0e9,
        peak_power_w=57_800.0,
        antenna_gain_db=44.0,
        pulse_width_s=100e-6,
        range_resolution_m=15.0,
        system_noise_temperature_k=700.0,
        losses_db=10.0,
        pulses_integrated=4,
        pfa=1e-8,
        scan_period_s=4.0,
        azimuth_beamwidth_deg=1.0,
        elevation_beamwidth_deg=1.0,
        max_range_km=420.0,
        max_elevation_deg=85.0,
        sources={
            "sector_width_deg": _assume(
                "electronic scan +-45 deg about the face's boresight, as for phased-array SAM "
                "engagement radars; the face can be turned"
            ),
            "frequency_hz": _assume(f"X band for 92N6E (NATO 'Grave Stone'), {UNVERIFIED}"),
            "peak_power_w": TX_FOR_RANGE,
            "antenna_gain_db": GAIN_FROM_BEAMWIDTH,
            "pulse_width_s": _assume("long compressed pulse for long-range search"),
            "range_resolution_m": _assume("10 MHz compressed bandwidth for fire control"),
            "system_noise_temperature_k": _assume("X-band receiver, NF ~4 dB"),
            "losses_db": _assume(
                "total: RF, beam-shape, processing, atmosphere (higher at X band)"
            ),
            "pulses_integrated": _assume("short dwell per beam position of a phased array"),
            "pfa": PFA_CFAR,
            "scan_period_s": _assume("sector search frame; tracked targets are revisited faster"),
            "azimuth_beamwidth_deg": _assume("X band, ~2.5 m aperture: ~1 deg"),
            "elevation_beamwidth_deg": _assume("X band, ~2.5 m aperture: ~1 deg"),
            "max_range_km": _assume(
                f"instrumented just beyond the ~400 km engagement range ({BUSINESS_INSIDER})"
            ),
            "max_elevation_deg": _assume(
                "a tilted array face covers near-zenith ballistic targets (capped at 85 deg)"
            ),
        },
    ),
    RadarPreset(
        name="mpq-65-class",
        description="Patriot-class multifunction radar: C band phased array, ~120 deg sector.",
        role="engagement",
        scan="sector",
        sector_width_deg=120.0,
        frequency_hz=5.5e9,
        peak_power_w=33_700.0,
        antenna_gain_db=40.0,
        pulse_width_s=100e-6,
        range_resolution_m=30.0,
        system_noise_temperature_k=600.0,
        losses_db=10.0,
        pulses_integrated=4,
        pfa=1e-7,
        scan_period_s=4.0,
        azimuth_beamwidth_deg=1.6,
        elevation_beamwidth_deg=1.6,
        max_range_km=180.0,
        max_elevation_deg=85.0,
        sources={
            "sector_width_deg": _assume(
                f"sector-scanning, not 360 deg ({REUTERS_2013}); ~120 deg, {UNVERIFIED}"
            ),
            "frequency_hz": _assume(f"C band for AN/MPQ-53/65, {UNVERIFIED}"),
            "peak_power_w": TX_FOR_RANGE,
            "antenna_gain_db": GAIN_FROM_BEAMWIDTH,
            "pulse_width_s": _assume("long compressed pulse for search"),
            "range_resolution_m": _assume("5 MHz compressed bandwidth for fire control"),
            "system_noise_temperature_k": _assume("typical C-band receiver, NF ~3.5 dB"),
            "losses_db": _assume("total: RF, beam-shape, processing, atmosphere"),
            "pulses_integrated": _assume("short dwell per beam position of a phased array"),
            "pfa": PFA_CFAR,
            "scan_period_s": _assume("sector search frame; tracked targets are revisited faster"),
            "azimuth_beamwidth_deg": _assume("C band, ~2.4 m array: ~1.6 deg"),
            "elevation_beamwidth_deg": _assume("C band, ~2.4 m array: ~1.6 deg"),
            "max_range_km": _assume(
                "instrumented just beyond the ~170 km design point (PAC-2 GEM-T-class ~160 km)"
            ),
            "max_elevation_deg": _assume(
                "a tilted array face covers near-zenith ballistic targets (capped at 85 deg)"
            ),
        },
    ),
    RadarPreset(
        name="gap-filler",
        description="Generic low-level gap-filler radar on a tall mast, for radar-siting studies.",
        role="surveillance",
        scan="rotating",
        frequency_hz=3.0e9,
        peak_power_w=7_500.0,
        antenna_gain_db=36.0,
        pulse_width_s=40e-6,
        range_resolution_m=75.0,
        system_noise_temperature_k=500.0,
        losses_db=8.0,
        pulses_integrated=10,
        pfa=1e-7,
        scan_period_s=4.0,
        azimuth_beamwidth_deg=1.5,
        elevation_beamwidth_deg=4.0,
        max_range_km=150.0,
        antenna_height_m=30.0,
        sources={
            "frequency_hz": _assume("S band: little rain loss, a common choice for gap fillers"),
            "peak_power_w": TX_FOR_RANGE,
            "antenna_gain_db": GAIN_FROM_BEAMWIDTH,
            "pulse_width_s": _assume("moderate compressed pulse for a ~150 km instrumented range"),
            "range_resolution_m": _assume("2 MHz compressed bandwidth"),
            "system_noise_temperature_k": _assume("typical S-band receiver, NF ~3 dB"),
            "losses_db": _assume("total: RF, scanning/beam-shape, processing (short ranges)"),
            "pulses_integrated": _assume(
                "dwell = 4 s * 1.5 deg / 360 deg = 17 ms at PRF 600 Hz (250 km unambiguous)"
            ),
            "pfa": PFA_CFAR,
            "scan_period_s": _assume("15 rpm: quick updates on low, fast-appearing targets"),
            "azimuth_beamwidth_deg": _assume("S band, ~6.5 m wide aperture: ~1.5 deg"),
            "elevation_beamwidth_deg": _assume("broad low-elevation beam, ~4 deg"),
            "max_range_km": _assume("PRF-limited instrumented range of a short-range radar"),
            "antenna_height_m": _assume(
                "a 30 m mast pushes the horizon against a 30 m flyer to ~45 km (4/3 Earth)"
            ),
        },
    ),
]


# ---------------------------------------------------------------------------------------------
# Threats
# ---------------------------------------------------------------------------------------------

_THREAT_LIST = [
    ThreatPreset(
        name="srbm-iskander-class",
        description="Short-range ballistic missile, quasi-ballistic (flattened) trajectory.",
        category="ballistic",
        motion="ballistic",
        speed_mps=2100.0,
        cruise_altitude_m=0.0,
        rcs_m2=0.1,
        swerling=3,
        max_range_km=500.0,
        min_range_km=50.0,
        cost_usd=3.0e6,
        loft_angle_deg=30.0,
        boost_time_s=25.0,
        ballistic_coefficient_kg_m2=8000.0,
        sources={
            "speed_mps": _assume(f"Mach 6-7, {UNVERIFIED}; the model solves the burnout speed"),
            "cruise_altitude_m": _assume(
                "unused by ballistic motion (the path follows from loft angle, boost and range)"
            ),
            "rcs_m2": _assume(
                "~0.1 m^2 nose-on for a slender body with a conical nose (DOMAIN.md: state one)"
            ),
            "swerling": _assume(
                "3: one dominant scatterer (the body) plus small ones, slowly varying between "
                "scans (chi-square, 4 degrees of freedom)"
            ),
            "max_range_km": TASS_RT_ISKANDER,
            "min_range_km": TASS_RT_ISKANDER,
            "cost_usd": _assume("not public; order of $1-5M for an SRBM round, midpoint taken"),
            "loft_angle_deg": _assume(
                "30 deg, flatter than the ~40-45 deg minimum-energy loft: quasi-ballistic "
                f"profile ({TASS_RT_ISKANDER})"
            ),
            "boost_time_s": _assume("20-30 s burn of a single-stage solid motor, midpoint"),
            "ballistic_coefficient_kg_m2": _assume(
                "dense conical re-entry bodies are 5,000-10,000 kg/m^2; the warhead does not "
                "separate, so the whole slender airframe re-enters"
            ),
        },
    ),
    ThreatPreset(
        name="cruise-tomahawk-class",
        description="Subsonic land-attack cruise missile flying low over the terrain.",
        category="cruise",
        motion="cruise",
        speed_mps=245.0,
        cruise_altitude_m=40.0,
        rcs_m2=0.1,
        swerling=1,
        max_range_km=1600.0,
        cost_usd=2.0e6,
        sources={
            "speed_mps": f"{NEWS_TOMAHAWK}: ~880 km/h",
            "cruise_altitude_m": f"{NEWS_TOMAHAWK}: 30-50 m above ground, midpoint",
            "rcs_m2": _assume(
                "~0.1 m^2 head-on for a small subsonic missile (DOMAIN.md: state one)"
            ),
            "swerling": _assume("1: several comparable scatterers, constant over a dwell"),
            "max_range_km": f"{NEWS_TOMAHAWK}: ~1,600 km",
            "cost_usd": _assume(
                "~$2M per round as news coverage reports it; no source pinned down here"
            ),
        },
    ),
    ThreatPreset(
        name="loitering-shahed-class",
        description="Cheap, slow, low-flying one-way attack drone.",
        category="drone",
        motion="cruise",
        speed_mps=50.0,
        cruise_altitude_m=100.0,
        rcs_m2=0.2,
        swerling=1,
        max_range_km=2000.0,
        cost_usd=35_000.0,
        sources={
            "speed_mps": f"{EURONEWS_SHAHED}: 150-185 km/h; 180 km/h taken",
            "cruise_altitude_m": _assume(f"'flies low and slow' ({EURONEWS_SHAHED}); 100 m taken"),
            "rcs_m2": _assume(
                "0.1-0.5 m^2: larger than a bird (0.01-0.1), composite airframe with an engine "
                "and warhead; 0.2 m^2 taken"
            ),
            "swerling": _assume("1: a few comparable scatterers (engine, warhead, spar)"),
            "max_range_km": f"{EURONEWS_SHAHED}: 2,000-2,500 km, low end",
            "cost_usd": f"{EURONEWS_SHAHED}: ~$20k-50k, midpoint",
        },
    ),
    ThreatPreset(
        name="fighter-class",
        description="Generic non-stealth combat aircraft at cruise.",
        category="aircraft",
        motion="waypoint",
        speed_mps=270.0,
        cruise_altitude_m=9000.0,
        max_turn_rate_deg_s=10.0,
        rcs_m2=3.0,
        swerling=1,
        max_range_km=1000.0,
        cost_usd=60.0e6,
        sources={
            "speed_mps": _assume("cruise ~250-300 m/s (Mach ~0.9 at altitude)"),
            "cruise_altitude_m": _assume("typical cruise altitude 8-10 km"),
            "max_turn_rate_deg_s": _assume("~5 g sustained at 270 m/s: omega = n g / v ~ 10 deg/s"),
            "rcs_m2": f"{RCS_REFERENCES}: fighter 1-5 m^2, midpoint",
            "swerling": _assume("1: many comparable scatterers on a complex airframe (Swerling)"),
            "max_range_km": _assume("order of a combat radius there and back"),
            "cost_usd": _assume("order of $50-100M for a modern fighter; $60M taken"),
        },
    ),
    ThreatPreset(
        name="airliner-class",
        description="Civil airliner at cruise, answering secondary radar.",
        category="civil",
        motion="waypoint",
        speed_mps=240.0,
        cruise_altitude_m=11_000.0,
        rcs_m2=30.0,
        swerling=1,
        max_range_km=10_000.0,
        transponder=True,
        sources={
            "speed_mps": _assume("Mach ~0.8 at FL360 ~ 240 m/s"),
            "cruise_altitude_m": _assume("typical cruise levels FL330-FL390"),
            "max_turn_rate_deg_s": "standard-rate turn, 3 deg/s (model default)",
            "rcs_m2": f"{RCS_REFERENCES}: airliner 10-100 m^2; 30 m^2 taken",
            "swerling": _assume("1: many comparable scatterers on a complex airframe (Swerling)"),
            "max_range_km": _assume("long-haul range, larger than any scenario"),
            "transponder": "civil aircraft carry SSR transponders (Mode A/C/S)",
        },
    ),
]


# ---------------------------------------------------------------------------------------------
# Interceptor missiles
# ---------------------------------------------------------------------------------------------

_MISSILE_LIST = [
    MissilePreset(
        name="40n6-class",
        description="S-400-class very-long-range interceptor.",
        min_range_km=5.0,
        max_range_km=400.0,
        min_altitude_m=5.0,
        max_altitude_km=30.0,
        max_speed_mps=2500.0,
        boost_time_s=15.0,
        max_flight_time_s=300.0,
        max_lateral_g=20.0,
        lethal_radius_m=20.0,
        cost_usd=2.0e6,
        per_launcher=4,
        launch_mass_kg=1893.0,
        boost_propellant_kg=1000.0,
        sustain_time_s=45.0,
        sustain_propellant_kg=400.0,
        specific_impulse_s=260.0,
        reference_area_m2=0.260,
        drag_coefficient=0.20,
        max_normal_force_coefficient=15.0,
        seeker_acquisition_range_km=40.0,
        reliability=0.9,
        warhead_pk={
            "ballistic": 0.6,
            "cruise": 0.9,
            "drone": 0.95,
            "aircraft": 0.95,
            "civil": 0.95,
        },
        sources={
            "min_range_km": _assume("large missile needs a few km to turn over and arm"),
            "max_range_km": f"{ENCYCLOPEDIC_S400}: 40N6 ~380-400 km; {BUSINESS_INSIDER}",
            "min_altitude_m": SYSTEM_ALTITUDES,
            "max_altitude_km": SYSTEM_ALTITUDES,
            "max_speed_mps": _assume("Mach 7-8 class long-range SAM"),
            "boost_time_s": _assume("long-burn booster of a large SAM"),
            "max_flight_time_s": _assume("400 km at ~1.4 km/s average after coast losses"),
            "max_lateral_g": _assume("large aerodynamic SAM, ~20 g at low altitude"),
            "lethal_radius_m": _assume("heavy blast-fragmentation warhead, ~20 m"),
            "cost_usd": _assume("poorly sourced; order of $1-3M for the largest S-400 round"),
            "per_launcher": f"{ENCYCLOPEDIC_S400}: 4 large missiles per launcher (check)",
            "launch_mass_kg": f"~1,893 kg, {UNVERIFIED}",
            "boost_propellant_kg": PROPELLANT_FOR_SPEED,
            "sustain_time_s": SUSTAIN_PROFILE,
            "sustain_propellant_kg": PROPELLANT_FOR_SPEED,
            "specific_impulse_s": SOLID_ISP,
            "reference_area_m2": f"{AREA_FROM_DIAMETER}: 0.575 m, {UNVERIFIED}",
            "drag_coefficient": CD_SUPERSONIC,
            "max_normal_force_coefficient": CN_MAX_WINGED,
            "seeker_acquisition_range_km": _assume(
                "active radar seeker (reported, check) of a ~0.5 m aperture: a fighter-size "
                "target at ~40 km"
            ),
            "reliability": RELIABILITY,
            "warhead_pk": BLAST_FRAG_PK,
        },
    ),
    MissilePreset(
        name="48n6-class",
        description="S-400-class long-range interceptor (S-300PMU-2 lineage).",
        min_range_km=3.0,
        max_range_km=250.0,
        min_altitude_m=5.0,
        max_altitude_km=30.0,
        max_speed_mps=2000.0,
        boost_time_s=12.0,
        max_flight_time_s=220.0,
        max_lateral_g=20.0,
        lethal_radius_m=20.0,
        cost_usd=1.0e6,
        per_launcher=4,
        launch_mass_kg=1835.0,
        boost_propellant_kg=900.0,
        sustain_time_s=40.0,
        sustain_propellant_kg=350.0,
        specific_impulse_s=255.0,
        reference_area_m2=0.208,
        drag_coefficient=0.20,
        max_normal_force_coefficient=15.0,
        seeker_acquisition_range_km=30.0,
        reliability=0.9,
        warhead_pk={
            "ballistic": 0.6,
            "cruise": 0.9,
            "drone": 0.95,
            "aircraft": 0.95,
            "civil": 0.95,
        },
        sources={
            "min_range_km": _assume("large missile needs a few km to turn over and arm"),
            "max_range_km": f"{ENCYCLOPEDIC_S400}: 48N6 ~250 km; {PEOPLES_DAILY_2015}: aircraft to ~250 km",
            "min_altitude_m": SYSTEM_ALTITUDES,
            "max_altitude_km": SYSTEM_ALTITUDES,
            "max_speed_mps": _assume(f"~2 km/s (Mach ~6), {UNVERIFIED}"),
            "boost_time_s": _assume("single-stage solid motor, ~12 s burn"),
            "max_flight_time_s": _assume("250 km at ~1.2 km/s average after coast losses"),
            "max_lateral_g": _assume("large aerodynamic SAM, ~20 g at low altitude"),
            "lethal_radius_m": _assume("heavy blast-fragmentation warhead, ~20 m"),
            "cost_usd": _assume("poorly sourced; order of $1M per round"),
            "per_launcher": f"{ENCYCLOPEDIC_S400}: 4 large missiles per launcher (check)",
            "launch_mass_kg": f"~1,800-1,900 kg for 48N6E2/E3, {UNVERIFIED}",
            "boost_propellant_kg": PROPELLANT_FOR_SPEED,
            "sustain_time_s": SUSTAIN_PROFILE,
            "sustain_propellant_kg": PROPELLANT_FOR_SPEED,
            "specific_impulse_s": SOLID_ISP,
            "reference_area_m2": f"{AREA_FROM_DIAMETER}: 0.515 m, {UNVERIFIED}",
            "drag_coefficient": CD_SUPERSONIC,
            "max_normal_force_coefficient": CN_MAX_WINGED,
            "seeker_acquisition_range_km": _assume(
                "semi-active track-via-missile homing: the onboard seeker sees the illuminated "
                "target in the last ~30 km"
            ),
            "reliability": RELIABILITY,
            "warhead_pk": BLAST_FRAG_PK,
        },
    ),
    MissilePreset(
        name="9m96e2-class",
        description="S-400-class medium-range agile interceptor.",
        min_range_km=1.0,
        max_range_km=120.0,
        min_altitude_m=5.0,
        max_altitude_km=30.0,
        max_speed_mps=1000.0,
        boost_time_s=6.0,
        max_flight_time_s=160.0,
        max_lateral_g=20.0,
        lethal_radius_m=8.0,
        cost_usd=0.5e6,
        per_launcher=16,
        launch_mass_kg=420.0,
        boost_propellant_kg=85.0,
        sustain_time_s=50.0,
        sustain_propellant_kg=115.0,
        specific_impulse_s=245.0,
        reference_area_m2=0.0452,
        drag_coefficient=0.20,
        max_normal_force_coefficient=15.0,
        reaction_control_g=20.0,
        seeker_acquisition_range_km=20.0,
        reliability=0.9,
        warhead_pk={"ballistic": 0.7, "cruise": 0.9, "drone": 0.95, "aircraft": 0.9, "civil": 0.9},
        sources={
            "min_range_km": _assume("small, quick-reacting missile"),
            "max_range_km": f"{ENCYCLOPEDIC_S400}: 9M96E2 ~120 km",
            "min_altitude_m": SYSTEM_ALTITUDES,
            "max_altitude_km": SYSTEM_ALTITUDES,
            "max_speed_mps": _assume(f"~1 km/s for 9M96, {UNVERIFIED}"),
            "boost_time_s": _assume("small solid motor, ~6 s burn"),
            "max_flight_time_s": _assume("120 km at ~0.75 km/s average after coast losses"),
            "max_lateral_g": _assume(f"gas-dynamic control keeps ~20 g available, {UNVERIFIED}"),
            "lethal_radius_m": _assume("small directed-fragmentation warhead, ~8 m"),
            "cost_usd": _assume("poorly sourced; order of $0.5M for a small active-seeker SAM"),
            "per_launcher": f"{ENCYCLOPEDIC_S400}: 16 small missiles per launcher (check)",
            "launch_mass_kg": f"~420 kg, {UNVERIFIED}",
            "boost_propellant_kg": PROPELLANT_FOR_SPEED,
            "sustain_time_s": SUSTAIN_PROFILE,
            "sustain_propellant_kg": PROPELLANT_FOR_SPEED,
            "specific_impulse_s": SOLID_ISP,
            "reference_area_m2": f"{AREA_FROM_DIAMETER}: 0.24 m, {UNVERIFIED}",
            "drag_coefficient": CD_SUPERSONIC,
            "max_normal_force_coefficient": CN_MAX_WINGED,
            "reaction_control_g": _assume(
                f"gas-dynamic (jet) control near the centre of mass keeps ~20 g at altitude in "
                f"the endgame, {UNVERIFIED}"
            ),
            "seeker_acquisition_range_km": _assume(
                "small active radar seeker (reported, check): a fighter-size target at ~20 km"
            ),
            "reliability": RELIABILITY,
            "warhead_pk": _assume(
                "small directed-fragmentation warhead aimed by the fuze: soft targets 0.9-0.95, "
                "a ballistic re-entry body ~0.7 (agile endgame, near hit)"
            ),
        },
    ),
    MissilePreset(
        name="9m96e-class",
        description="S-400-class short-range agile interceptor.",
        min_range_km=1.0,
        max_range_km=40.0,
        min_altitude_m=5.0,
        max_altitude_km=20.0,
        max_speed_mps=900.0,
        boost_time_s=5.0,
        max_flight_time_s=60.0,
        max_lateral_g=20.0,
        lethal_radius_m=8.0,
        cost_usd=0.4e6,
        per_launcher=16,
        launch_mass_kg=333.0,
        boost_propellant_kg=80.0,
        sustain_time_s=20.0,
        sustain_propellant_kg=50.0,
        specific_impulse_s=245.0,
        reference_area_m2=0.0452,
        drag_coefficient=0.20,
        max_normal_force_coefficient=15.0,
        reaction_control_g=20.0,
        seeker_acquisition_range_km=15.0,
        reliability=0.9,
        warhead_pk={"ballistic": 0.7, "cruise": 0.9, "drone": 0.95, "aircraft": 0.9, "civil": 0.9},
        sources={
            "min_range_km": _assume("small, quick-reacting missile"),
            "max_range_km": f"{ENCYCLOPEDIC_S400}: 9M96E ~40 km",
            "min_altitude_m": SYSTEM_ALTITUDES,
            "max_altitude_km": _assume("smaller motor than 9M96E2; ~20 km"),
            "max_speed_mps": _assume("~0.9 km/s, a little below 9M96E2"),
            "boost_time_s": _assume("small solid motor, ~5 s burn"),
            "max_flight_time_s": _assume("40 km at ~0.7 km/s average"),
            "max_lateral_g": _assume(f"gas-dynamic control keeps ~20 g available, {UNVERIFIED}"),
            "lethal_radius_m": _assume("small directed-fragmentation warhead, ~8 m"),
            "cost_usd": _assume("poorly sourced; a little below 9M96E2"),
            "per_launcher": f"{ENCYCLOPEDIC_S400}: 16 small missiles per launcher (check)",
            "launch_mass_kg": f"~333 kg, {UNVERIFIED}",
            "boost_propellant_kg": PROPELLANT_FOR_SPEED,
            "sustain_time_s": SUSTAIN_PROFILE,
            "sustain_propellant_kg": PROPELLANT_FOR_SPEED,
            "specific_impulse_s": SOLID_ISP,
            "reference_area_m2": f"{AREA_FROM_DIAMETER}: 0.24 m, {UNVERIFIED}",
            "drag_coefficient": CD_SUPERSONIC,
            "max_normal_force_coefficient": CN_MAX_WINGED,
            "reaction_control_g": _assume(
                f"gas-dynamic (jet) control keeps ~20 g in the endgame, as for 9M96E2, {UNVERIFIED}"
            ),
            "seeker_acquisition_range_km": _assume(
                "small active radar seeker (reported, check): a fighter-size target at ~15 km"
            ),
            "reliability": RELIABILITY,
            "warhead_pk": _assume(
                "small directed-fragmentation warhead aimed by the fuze: soft targets 0.9-0.95, "
                "a ballistic re-entry body ~0.7 (agile endgame, near hit)"
            ),
        },
    ),
    MissilePreset(
        name="pac-2-gem-t-class",
        description="Patriot-class long-range blast-fragmentation interceptor.",
        min_range_km=3.0,
        max_range_km=160.0,
        min_altitude_m=60.0,
        max_altitude_km=24.0,
        max_speed_mps=1700.0,
        boost_time_s=12.0,
        max_flight_time_s=180.0,
        max_lateral_g=25.0,
        lethal_radius_m=20.0,
        cost_usd=4.0e6,
        per_launcher=4,
        launch_mass_kg=900.0,
        boost_propellant_kg=400.0,
        sustain_time_s=35.0,
        sustain_propellant_kg=160.0,
        specific_impulse_s=255.0,
        reference_area_m2=0.132,
        drag_coefficient=0.20,
        max_normal_force_coefficient=12.0,
        seeker_acquisition_range_km=20.0,
        reliability=0.9,
        warhead_pk={
            "ballistic": 0.5,
            "cruise": 0.9,
            "drone": 0.95,
            "aircraft": 0.95,
            "civil": 0.95,
        },
        sources={
            "min_range_km": _assume("a few km to turn over and arm"),
            "max_range_km": "DOMAIN.md, various sources: PAC-2 GEM-T ~160 km",
            "min_altitude_m": _assume("~60 m floor against low-level clutter and multipath"),
            "max_altitude_km": PATRIOT_CEILING,
            "max_speed_mps": _assume(f"Mach ~5, {UNVERIFIED}"),
            "boost_time_s": _assume("single-stage solid motor, ~12 s burn"),
            "max_flight_time_s": _assume("160 km at ~0.9 km/s average after coast losses"),
            "max_lateral_g": _assume("aerodynamic SAM, ~25 g at low altitude"),
            "lethal_radius_m": _assume("blast-fragmentation warhead, ~20 m"),
            "cost_usd": _assume(
                "~$4M per round as news coverage reports it; no source pinned down here"
            ),
            "per_launcher": "DOMAIN.md, various sources: 4 PAC-2 per launcher (check)",
            "launch_mass_kg": f"~900 kg (MIM-104), {UNVERIFIED}",
            "boost_propellant_kg": PROPELLANT_FOR_SPEED,
            "sustain_time_s": SUSTAIN_PROFILE,
            "sustain_propellant_kg": PROPELLANT_FOR_SPEED,
            "specific_impulse_s": SOLID_ISP,
            "reference_area_m2": f"{AREA_FROM_DIAMETER}: 0.41 m, {UNVERIFIED}",
            "drag_coefficient": CD_SUPERSONIC,
            "max_normal_force_coefficient": _assume(
                "cruciform tail-controlled body without wings: lower than winged bodies, ~12 "
                "(Fleeman 2006, ch. 2)"
            ),
            "seeker_acquisition_range_km": _assume(
                "track-via-missile: the onboard seeker relays the illuminated target in the "
                "last ~20 km"
            ),
            "reliability": RELIABILITY,
            "warhead_pk": _assume(
                "blast-fragmentation warhead: soft targets 0.9-0.95; ballistic warheads often "
                "survived near misses in 1991 (~0.5)"
            ),
        },
    ),
    MissilePreset(
        name="pac-3-mse-class",
        description="Patriot-class hit-to-kill interceptor: shorter range, very small miss.",
        min_range_km=3.0,
        max_range_km=60.0,
        min_altitude_m=50.0,
        max_altitude_km=24.0,
        max_speed_mps=1500.0,
        boost_time_s=8.0,
        max_flight_time_s=90.0,
        max_lateral_g=40.0,
        lethal_radius_m=2.0,
        cost_usd=4.0e6,
        per_launcher=12,
        launch_mass_kg=370.0,
        boost_propellant_kg=140.0,
        sustain_time_s=8.0,
        sustain_propellant_kg=70.0,
        specific_impulse_s=250.0,
        reference_area_m2=0.066,
        drag_coefficient=0.25,
        max_normal_force_coefficient=12.0,
        reaction_control_g=30.0,
        seeker_acquisition_range_km=15.0,
        reliability=0.9,
        warhead_pk={"ballistic": 0.9, "cruise": 0.9, "drone": 0.9, "aircraft": 0.9, "civil": 0.9},
        sources={
            "min_range_km": _assume("a few km to turn over and arm"),
            "max_range_km": _assume(
                "DOMAIN.md says only 'shorter-range'; encyclopedic listings give ~35 km against "
                "ballistic and ~60 km against aerodynamic targets (check); 60 km taken"
            ),
            "min_altitude_m": _assume("~50 m floor against low-level clutter and multipath"),
            "max_altitude_km": PATRIOT_CEILING,
            "max_speed_mps": _assume("Mach ~4-5 class, dual-pulse motor"),
            "boost_time_s": _assume("first pulse of a dual-pulse motor, ~8 s"),
            "max_flight_time_s": _assume("60 km at ~0.7 km/s average"),
            "max_lateral_g": _assume("attitude-control motors make it agile at the end, ~40 g"),
            "lethal_radius_m": _assume(
                "hit-to-kill with a lethality enhancer: a body-to-body hit, ~2 m effective"
            ),
            "cost_usd": _assume(
                "~$4M per round as news coverage reports it; no source pinned down here"
            ),
            "per_launcher": _assume(
                "12 MSE per launcher; DOMAIN.md's 'up to 16 PAC-3' is the smaller CRI round"
            ),
            "launch_mass_kg": _assume(f"~370 kg for MSE (~310 kg for CRI), {UNVERIFIED}"),
            "boost_propellant_kg": PROPELLANT_FOR_SPEED,
            "sustain_time_s": _assume(
                "second pulse of the dual-pulse motor (reported, check), taken right after "
                "the first, ~8 s"
            ),
            "sustain_propellant_kg": PROPELLANT_FOR_SPEED,
            "specific_impulse_s": SOLID_ISP,
            "reference_area_m2": f"{AREA_FROM_DIAMETER}: 0.29 m (MSE), {UNVERIFIED}",
            "drag_coefficient": CD_SUPERSONIC,
            "max_normal_force_coefficient": _assume(
                "body with small fins: ~12 on the body cross-section (Fleeman 2006, ch. 2)"
            ),
            "reaction_control_g": _assume(
                "~180 small attitude-control motors fire in the endgame; ~30 g at any height, "
                "below the 40 g structural limit"
            ),
            "seeker_acquisition_range_km": _assume(
                "Ka-band active seeker of a small aperture: ~15 km on a small target"
            ),
            "reliability": RELIABILITY,
            "warhead_pk": _assume(
                "hit-to-kill with a lethality enhancer: a body-to-body hit destroys the warhead "
                "as well as the airframe, ~0.9 for every class"
            ),
        },
    ),
]


# ---------------------------------------------------------------------------------------------
# Batteries
# ---------------------------------------------------------------------------------------------

_BATTERY_LIST = [
    BatteryPreset(
        name="s-400-class",
        description="S-400-class fire unit: surveillance and engagement radars, mixed launchers.",
        surveillance_radar="91n6e-class",
        engagement_radar="92n6e-class",
        missiles=["40n6-class", "48n6-class", "9m96e2-class", "9m96e-class"],
        launchers=12,
        target_channels=36,
        missile_channels=72,
        launch_interval_s=3.0,
        reload_time_s=3600.0,
        reaction_time_s=10.0,
        readiness_time_s=300.0,
        sources={
            "launchers": _assume(f"up to 12 launchers per fire unit, {UNVERIFIED}"),
            "target_channels": (
                f"{PEOPLES_DAILY_2015}: 36 targets at once (reported for the system, "
                "which may mean more than one fire unit)"
            ),
            "missile_channels": f"{PEOPLES_DAILY_2015}: 72 missiles at once (as above)",
            "launch_interval_s": _assume("a few seconds between launches from a vertical launcher"),
            "reload_time_s": _assume("reload from a transloader with a crane, order of an hour"),
            "reaction_time_s": _assume(f"~10 s from track to launch, {UNVERIFIED}"),
            "readiness_time_s": f"{PEOPLES_DAILY_2015}: combat readiness in ~5 min",
        },
    ),
    BatteryPreset(
        name="patriot-class",
        description="Patriot-class battery: one sector radar, up to 8 launchers.",
        surveillance_radar="mpq-65-class",
        engagement_radar="mpq-65-class",
        missiles=["pac-2-gem-t-class", "pac-3-mse-class"],
        launchers=8,
        target_channels=9,
        missile_channels=9,
        launch_interval_s=3.0,
        reload_time_s=3600.0,
        reaction_time_s=10.0,
        readiness_time_s=3600.0,
        sources={
            "surveillance_radar": f"{WAR_ZONE_2024}: one AN/MPQ-65 radar does both",
            "launchers": f"{WAR_ZONE_2024}: up to 8 launchers",
            "target_channels": _assume(f"up to 9 missiles guided at once, {UNVERIFIED}"),
            "missile_channels": _assume(f"up to 9 missiles guided at once, {UNVERIFIED}"),
            "launch_interval_s": _assume("a few seconds between launches"),
            "reload_time_s": _assume("reload by a crane-equipped truck, order of an hour"),
            "reaction_time_s": _assume("~10 s from track to launch"),
            "readiness_time_s": _assume("emplacement of a towed battery, order of an hour"),
        },
    ),
]


# ---------------------------------------------------------------------------------------------
# Lookup
# ---------------------------------------------------------------------------------------------

RADARS: dict[str, RadarPreset] = {p.name: p for p in _RADAR_LIST}
THREATS: dict[str, ThreatPreset] = {p.name: p for p in _THREAT_LIST}
MISSILES: dict[str, MissilePreset] = {p.name: p for p in _MISSILE_LIST}
BATTERIES: dict[str, BatteryPreset] = {p.name: p for p in _BATTERY_LIST}

Preset = RadarPreset | ThreatPreset | MissilePreset | BatteryPreset

#: kind -> the presets of that kind. Scenario code names kinds in the singular.
KINDS: Mapping[str, Mapping[str, Preset]] = {
    "radar": RADARS,
    "threat": THREATS,
    "missile": MISSILES,
    "battery": BATTERIES,
}


def _table(kind: str) -> Mapping[str, Preset]:
    try:
        return KINDS[kind]
    except KeyError:
        raise KeyError(f"unknown preset kind '{kind}' (known: {', '.join(KINDS)})") from None


def known(kind: str) -> list[str]:
    """The preset names of one kind ("radar", "threat", "missile", "battery"), sorted."""
    return sorted(_table(kind))


def get(kind: str, name: str) -> Preset:
    """The preset ``name`` of ``kind``; KeyError naming the known ones if there is none."""
    table = _table(kind)
    try:
        return table[name]
    except KeyError:
        raise KeyError(
            f"unknown {kind} preset '{name}' (known: {', '.join(sorted(table))})"
        ) from None
