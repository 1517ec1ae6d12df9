"""Importable, tested logic for the provincial technology priorities report.

Kept free of imports so that the pipeline runner starts fast (a no-op rebuild must take
well under a second); import the submodule you need, e.g. ``from helpers import text``.
"""
