"""receptorkin: receptor kinetics for pharmacology."""

__version__ = "0.1.0"
