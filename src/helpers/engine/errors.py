"""The one error type for bad input, so every stage reports it the same way.

Raise ``InputError(path, problem)``: the message always names the file and the problem, and the
runner prints it as one line instead of a traceback. ``StageFailed`` is the runner's own: a
stage that could not run or finish, its message already the one line to print.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input (a file a researcher made or dropped in); the message names the file."""

    def __init__(self, path: Path | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def clip(value: object, limit: int = 80) -> str:
    """A bounded ``repr`` of a value for an error message, however large or nested it is."""
    import reprlib

    shorter = reprlib.Repr()
    shorter.maxlevel = 2
    shorter.maxlist = shorter.maxtuple = shorter.maxdict = shorter.maxset = 4
    shorter.maxstring = shorter.maxother = limit
    text = shorter.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class StageFailed(Exception):
    """A stage could not run or did not finish; the message is the one line to print."""


class Interrupted(StageFailed):
    """The run was interrupted (Ctrl-C); the message says what this run completed."""
