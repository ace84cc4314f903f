"""The package version, in a module of its own so telemetry can name it without importing ``sik_llms``."""

__version__ = "0.5.0"
