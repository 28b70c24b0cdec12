"""The small exception tree of degtools.

Every error a user can cause (a wrong path, a misspelt parameter, a table without the
columns we need) is raised as a :class:`DegtoolsError` subclass whose message is one line
saying what was expected, what was found and how to fix it. Inside a notebook the error
renders as that single line instead of a traceback.
"""

from __future__ import annotations


class DegtoolsError(Exception):
    """Base class for the errors a user can act on."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback: the report shows one line.
        return [f"{type(self).__name__}: {self}"]


class InputError(DegtoolsError):
    """The input table cannot be read or used as asked."""


class ParamsError(DegtoolsError):
    """A parameter is unknown, misspelt or out of range."""
