"""The folder reports are written to: can it be written, and a one-line error when it cannot.

A read-only or full output folder is the user's to fix, not a bug: ``degtools report``, ``batch``
and ``index`` say so in one line (what was expected, what was found, how to fix it) and exit with
status 2 instead of showing a traceback.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from degtools.errors import InputError

#: ``errno`` values that mean "this folder cannot be written", not "degtools has a bug".
WRITE_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                          errno.EEXIST, errno.EISDIR, errno.ENAMETOOLONG})

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_write_error(error: BaseException) -> bool:
    """True if ``error`` is an OSError that says a file or folder could not be written."""
    return isinstance(error, OSError) and error.errno in WRITE_ERRNOS


def unwritable_folder_error(error: OSError, folder: str | Path) -> InputError:
    """The one-line :class:`InputError` for output folder ``folder`` that failed with ``error``."""
    found = error.strerror or str(error)
    if error.filename:
        found += f" ({error.filename})"
    fix = ("free some space or pass --out to a folder on another disk" if error.errno in _FULL
           else "make it writable or pass --out to another folder")
    return InputError(f"the output folder {str(folder)!r} must be a folder degtools can write to, but "
                      f"writing there failed: {found}; {fix}.")


def check_writable(folder: str | Path) -> Path:
    """Create ``folder`` if needed and make (then remove) a folder in it, as each report does.

    Raises
    ------
    OSError
        If ``folder`` cannot be created or written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.rmdir(tempfile.mkdtemp(prefix=".degtools-check-", dir=folder))
    return folder
