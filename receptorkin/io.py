"""Safe output: atomic writes that never overwrite without being asked."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import OutputExistsError

__all__ = ["atomic_write_text", "atomic_write_bytes", "atomic_path", "check_writable", "prepare_outdir", "check_outdir",
           "write_csv", "umask_mode", "publish"]


def umask_mode(base: int = 0o666) -> int:
    """The permission bits a new file gets from ``open()``: ``base`` less the umask.

    ``0o644`` under the common umask 022.  The umask can only be read by
    setting it, so it is set and restored at once (process-wide, so keep
    this out of threads that create files at the same instant).
    """
    mask = os.umask(0o022)
    os.umask(mask)
    return base & ~mask


def publish(tmp: str | os.PathLike, target: str | os.PathLike) -> None:
    """Move a finished temporary file into place atomically with the umask's permissions.

    ``tempfile.mkstemp`` creates files readable by the owner only (0600);
    an output file should get what a plain ``open()`` would give (0644
    under umask 022), so colleagues sharing a folder can read results.
    """
    os.chmod(tmp, umask_mode())
    os.replace(tmp, target)


def check_writable(path: str | os.PathLike, force: bool = False) -> Path:
    """Refuse an existing output file unless ``force`` is true.

    Returns the path as a :class:`~pathlib.Path`.  Raises
    :class:`OutputExistsError` naming the file.
    """
    p = Path(path)
    if p.exists() and not force:
        raise OutputExistsError(f"{p}: file exists (use force=True or --force to overwrite)")
    if p.is_dir():
        raise OutputExistsError(f"{p}: is a directory, expected a file path")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise OutputExistsError(f"{p}: directory {parent} does not exist")
    return p


@contextmanager
def atomic_path(path: str | os.PathLike, force: bool = False, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place on success.

    Use for writers that insist on a file name (matplotlib ``savefig``,
    pandas ``to_csv``).  On an exception the temporary file is removed and
    the original, if any, is untouched.
    """
    target = check_writable(path, force)
    suffix = suffix if suffix is not None else target.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        publish(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_bytes(path: str | os.PathLike, data: bytes, force: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, then ``os.replace``)."""
    with atomic_path(path, force) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, force: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"), force)


def check_outdir(outdir: str | os.PathLike, force: bool = False) -> Path:
    """Refuse an existing non-empty output directory unless ``force`` (creates nothing:
    call before long work, then :func:`prepare_outdir` to write)."""
    p = Path(outdir)
    if p.exists():
        if not p.is_dir():
            raise OutputExistsError(f"{p}: exists and is not a directory")
        if any(p.iterdir()) and not force:
            raise OutputExistsError(f"{p}: output directory exists and is not empty (use --force)")
    return p


def prepare_outdir(outdir: str | os.PathLike, force: bool = False) -> Path:
    """Create an output directory; an existing non-empty one needs ``force``.

    With ``force`` the directory is kept and files in it are replaced one by
    one as they are written (nothing else in it is deleted).
    """
    p = check_outdir(outdir, force)
    p.mkdir(parents=True, exist_ok=True)
    return p




def write_csv(df, path: str | os.PathLike, force: bool = False, index: bool = True) -> Path:
    """Write a pandas DataFrame as CSV atomically (10 significant digits)."""
    with atomic_path(path, force) as tmp:
        df.to_csv(tmp, index=index, float_format="%.10g")
    return Path(path)
