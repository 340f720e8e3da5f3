"""Sensors: the radar equation, Swerling detection probability, and the scanning radar.

Public API::

    radar_equation_snr_db(...)        single-pulse SNR (dB) of a point target
    required_snr_db(pd, pfa, n, sw)   Albersheim (Swerling 0), exact (1, 2), Shnidman (3, 4)
    detection_probability(snr_db, pfa, n, sw)
    pd_table(pfa, n, sw)              cached Pd-vs-SNR lookup table (np.interp)
    Radar(preset, sensor_id, name, position_enu, ground_height_m, boresight_rad, frame, phase_rad)
    Plots                             detections as a frozen structure of arrays
"""

from airdefense.sensors.detection import (
    PdTable,
    albersheim_pd,
    albersheim_snr_db,
    detection_probability,
    pd_table,
    required_snr_db,
    shnidman_pd,
    shnidman_snr_db,
    swerling1_pd,
    swerling1_required_snr_db,
    swerling2_pd,
    threshold,
)
from airdefense.sensors.noise import angle_sigma_rad, range_sigma_m
from airdefense.sensors.plots import Plots
from airdefense.sensors.radar import Radar
from airdefense.sensors.radar_equation import radar_equation_snr_db, snr_constant_db

__all__ = [
    "PdTable",
    "Plots",
    "Radar",
    "albersheim_pd",
    "albersheim_snr_db",
    "angle_sigma_rad",
    "detection_probability",
    "pd_table",
    "radar_equation_snr_db",
    "range_sigma_m",
    "required_snr_db",
    "shnidman_pd",
    "shnidman_snr_db",
    "snr_constant_db",
    "swerling1_pd",
    "swerling1_required_snr_db",
    "swerling2_pd",
    "threshold",
]
