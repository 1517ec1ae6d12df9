"""Importable, tested logic for the provincial technology priorities report.

Kept free of imports so that the pipeline runner starts fast (a no-op rebuild must take
well under a second); import the submodule you need, e.g. ``from helpers.ingest import text``.
"""

import sys

# jsonschema (imported by papermill's nbformat in the runner, by Altair in the kernel) loads an
# optional IRI format checker whose import builds a grammar for about 3 s; nothing here checks
# IRIs, so the import is refused (None in sys.modules makes it raise ImportError, which
# jsonschema expects) unless something imported it already.
sys.modules.setdefault("rfc3987_syntax", None)
