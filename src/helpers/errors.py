"""The one error type for bad input, so every stage reports it the same way.

Raise ``InputError(path, problem)``: the message always names the file and the problem, and the
runner prints it as one line instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input (a file a researcher made or dropped in); the message names the file."""

    def __init__(self, path: Path | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
