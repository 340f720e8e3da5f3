"""Interoperability: a run's data in formats other tools read (CZML for Cesium; ASTERIX and
DIS to come). Every writer reads the run database only and is registered as an export
format in :mod:`airdefense.record.export`."""
