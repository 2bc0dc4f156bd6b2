"""Wenyang Studio engine: models and algorithms, free of any GUI dependency."""

__version__ = "0.1.0"
