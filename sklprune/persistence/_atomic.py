"""Atomic file writes: a reader never sees half a file, a failure leaves none."""

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path, write, binary=True):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it.

    The file keeps the permissions of the one it replaces, or gets the umask's
    default when new (``mkstemp`` alone would leave it readable by its owner only).

    Parameters
    ----------
    path : str or pathlib.Path
        Destination; its folder must exist.
    write : callable
        Receives the open temporary file and writes the content.
    binary : bool, default=True
        Open the temporary file in binary mode, else as UTF-8 text.

    Returns
    -------
    path : pathlib.Path
        The written path.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklprune.persistence._atomic import write_atomic
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "a.txt", lambda f: f.write("hello"), binary=False).name
    'a.txt'
    >>> (folder / "a.txt").read_text()
    'hello'
    """
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(
            fd, "wb" if binary else "w", encoding=None if binary else "utf-8"
        ) as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
