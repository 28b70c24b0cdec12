"""The small exception tree of degtools (every exception it raises lives here).

Every error a user can cause (a wrong path, a misspelt parameter, a table without the
columns we need) is raised as a :class:`DegtoolsError` subclass whose message is one line
saying what was expected, what was found and how to fix it. Inside a notebook the error
renders as that single line instead of a traceback. Callers switch on the type and read
structured fields, as papermill's ``PapermillExecutionError`` does.

::

    DegtoolsError
    ├── InputError          the input table (or another input file) cannot be used as asked
    ├── ParamsError         a parameter is unknown, misspelt or out of range
    └── ReportError         the analysis notebook failed while rendering a report
        └── ReportInputError    ... because of the user's input or parameters (exit status 2)
"""

from __future__ import annotations

from pathlib import Path


class DegtoolsError(Exception):
    """Base class for the errors a user can act on."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback: the report shows one line.
        return [f"{type(self).__name__}: {self}"]


class InputError(DegtoolsError):
    """The input table cannot be read or used as asked."""


class ParamsError(DegtoolsError):
    """A parameter is unknown, misspelt or out of range."""


class ReportError(DegtoolsError):
    """The notebook failed while rendering a report.

    Attributes
    ----------
    notebook
        The failed executed notebook kept beside the reports (``<stem>.failed.ipynb``), or None.
    log
        Its log (``<stem>.failed.log``), or None.
    ename
        Name of the exception raised inside the notebook (e.g. ``ValueError``), or None.
    """

    def __init__(self, message: str, *, notebook: Path | None = None, log: Path | None = None,
                 ename: str | None = None):
        super().__init__(message)
        self.notebook = notebook
        self.log = log
        self.ename = ename

    @property
    def kept_files(self) -> list[Path]:
        """The files left for the user to read (failed notebook and log)."""
        return [path for path in (self.notebook, self.log) if path is not None]


class ReportInputError(ReportError):
    """The notebook stopped on the user's input or parameters (an InputError or ParamsError inside it)."""
