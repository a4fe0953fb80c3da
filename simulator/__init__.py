"""Synthetic source-system generator for the Relationship Warehouse raw layer."""

__all__ = ["__version__"]
__version__ = "0.1.0"
