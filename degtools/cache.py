"""Share identical computations between the reports of one batch.

Several reports of a batch often read the same table: one per target, whose gene-set analysis is
the same whatever the target (it ranks genes by the table's own statistic), or one per reference
table or gene-set file, whose model comparison is the same. ``degtools batch`` gives its workers a
private folder (:data:`CACHE_VARIABLE`, an absolute path) and a random secret (:data:`KEY_VARIABLE`,
never written to disk); a report that finds an identical earlier call there loads its result
instead of computing it again.

A result is reused only when every argument is identical by content (``joblib.hash``), and
degtools' code and data and the numerical packages' versions are those that computed it. The
reused result is therefore the one the call would return; the report says that it was reused.

Results are pickles (the model comparison holds fitted scikit-learn pipelines), and unpickling
runs code: every stored file is signed with HMAC-SHA256 under the batch's secret, and a file whose
signature does not verify is never unpickled (the call simply runs again and replaces it). A file
is ``MAGIC``, the 32-byte signature of its key and pickle, then the pickle; it is written under a
temporary name and renamed, so a reader never sees half of one.

Without both variables (a single ``degtools report``, papermill by hand), or with a relative
folder, nothing is cached.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from degtools.provenance import code_digest

#: environment variable naming the folder of the batch's shared results (set by ``degtools batch``).
CACHE_VARIABLE = "DEGTOOLS_CACHE"

#: environment variable holding the batch's secret (hex) that signs every shared result.
KEY_VARIABLE = "DEGTOOLS_CACHE_KEY"

#: first bytes of every stored result (the format's version).
MAGIC = b"degtools-shared-result-1\n"

#: suffix of a stored result's file name (its key is the rest).
SUFFIX = ".result"

_SIGNATURE_BYTES = hashlib.sha256().digest_size

Result = TypeVar("Result")


def call_key(function: Callable[..., Any], args: tuple, kwargs: dict[str, Any], *,
             ignore: Iterable[str] = ()) -> str:
    """sha256 over degtools' code digest, the function's qualified name and its arguments minus ``ignore``.

    Arguments are bound to the function's signature (defaults filled in), so passing a value by
    position or by name, or writing a default out, gives the same key.

    Raises
    ------
    ValueError
        If ``ignore`` names an argument the function does not have.
    """
    import joblib

    signature = inspect.signature(function)
    unknown = sorted(set(ignore) - set(signature.parameters))
    if unknown:
        raise ValueError(f"ignore names {unknown}, which {function.__qualname__} does not take")
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    arguments = {name: value for name, value in bound.arguments.items() if name not in set(ignore)}
    digest = hashlib.sha256(code_digest().encode())
    for part in (function.__module__, function.__qualname__, joblib.hash(arguments)):
        digest.update(b"\0" + str(part).encode())
    return digest.hexdigest()


def _signature(secret: bytes, key: str, payload: bytes) -> bytes:
    return hmac.new(secret, key.encode() + b"\0" + payload, hashlib.sha256).digest()


def load_result(path: Path, secret: bytes) -> tuple[bool, Any]:
    """Load ``path``: ``(True, result)`` if it is signed with ``secret`` for its key, else ``(False, None)``.

    A file that is missing, truncated, of another format or signed with another secret (or for
    another key) is not unpickled.
    """
    try:
        data = Path(path).read_bytes()
    except OSError:
        return False, None
    start = len(MAGIC) + _SIGNATURE_BYTES
    if not data.startswith(MAGIC) or len(data) <= start:
        return False, None
    signature, payload = data[len(MAGIC):start], data[start:]
    key = Path(path).name.removesuffix(SUFFIX)
    if not hmac.compare_digest(signature, _signature(secret, key, payload)):
        return False, None
    return True, pickle.loads(payload)  # noqa: S301 - signed by this batch's secret, verified above


def store_result(path: Path, secret: bytes, result: Any) -> None:
    """Write ``result`` signed with ``secret`` to ``path`` atomically (a temporary sibling, then a rename)."""
    path = Path(path)
    payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    key = path.name.removesuffix(SUFFIX)
    handle, temporary = tempfile.mkstemp(prefix=f".{key[:16]}-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(MAGIC + _signature(secret, key, payload) + payload)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _cache_settings() -> tuple[Path, bytes] | None:
    """The cache folder and secret from the environment; None when caching is off."""
    location, key = os.environ.get(CACHE_VARIABLE, ""), os.environ.get(KEY_VARIABLE, "")
    if not location or not key or not os.path.isabs(location):
        return None
    try:
        secret = bytes.fromhex(key)
    except ValueError:
        return None
    return Path(location), secret


def shared_call(
    function: Callable[..., Result], *args: Any, ignore: Iterable[str] = (), **kwargs: Any
) -> tuple[Result, bool]:
    """``function(*args, **kwargs)``, loaded from the batch's shared results when it ran before.

    ``ignore`` names keyword arguments that cannot change the result (e.g. a thread count).
    Returns the result and whether it was reused. Without :data:`CACHE_VARIABLE` (an absolute
    folder) and :data:`KEY_VARIABLE` in the environment the function simply runs.
    """
    settings = _cache_settings()
    if settings is None:
        return function(*args, **kwargs), False
    folder, secret = settings
    path = folder / f"{call_key(function, args, kwargs, ignore=ignore)}{SUFFIX}"
    found, result = load_result(path, secret)
    if found:
        return result, True
    result = function(*args, **kwargs)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        store_result(path, secret, result)
    except OSError:
        pass  # a full disk costs the sharing, not the report
    return result, False
