"""The package version, on the ground floor: the record writes it into every run."""

__version__ = "0.1.0"
