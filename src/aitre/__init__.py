"""AITRE: the machine-readable contract of the AITRE API relay and the tools around it."""

__version__ = "0.1.0"
