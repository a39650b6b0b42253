"""Safe output: atomic writes that never overwrite without being asked."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import OutputError, OutputExistsError, SBMLError

__all__ = ["atomic_write_text", "atomic_write_bytes", "atomic_path", "check_writable", "prepare_outdir", "check_outdir",
           "write_csv", "umask_mode", "publish", "StagedOutdir", "staged_outdir", "discard_uncommitted",
           "sbml_without_doctype"]


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
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        publish(tmp_path, target)
    except OutputError:
        raise
    except OSError as exc:
        if exc.filename is not None and str(exc.filename) not in (str(tmp_path), str(target)):
            raise  # a failure of another file, named by its own error
        raise OutputError(f"{target}: cannot write ({exc.strerror or exc})") from None
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


# ------------------------------------------------------------ multi-file outputs
_STAGE = ".{name}.partial-{pid}-"
_STAGE_RE = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)-[A-Za-z0-9_]+$")
_LIVE: "set[StagedOutdir]" = set()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _remove_stale(target: Path) -> None:
    """Remove staging folders of ``target`` left by runs that were killed (their process is gone)."""
    parent = target.parent
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        m = _STAGE_RE.match(entry.name)
        if m and m.group("name") == target.name and not _pid_alive(int(m.group("pid"))):
            shutil.rmtree(entry, ignore_errors=True)


def _as_output_error(exc: OSError, staged: Path, target: Path) -> OutputError:
    """One line naming the path the user asked for (not the staging folder)."""
    name = str(exc.filename) if exc.filename else str(target)
    name = name.replace(str(staged), str(target))
    name = re.sub(r"/\.([^/]+)\.[A-Za-z0-9_]{8}(\.[^/]*)?$", r"/\1", name)  # atomic_path's temporary file
    return OutputError(f"{name}: cannot write ({exc.strerror or exc}); nothing was written to {target}")


class StagedOutdir:
    """An output folder written as a whole: files go into a hidden sibling folder
    that is renamed into place by :meth:`commit`.

    A run that fails or is interrupted leaves the target absent (or, for an
    existing folder with ``force``, as it was): the staging folder is removed
    on an exception, at interpreter exit, and, when the process was killed,
    by the next run that writes the same target.  Use it as a context manager
    (``with staged_outdir(path) as out:``) or call :meth:`commit` /
    :meth:`discard` yourself.

    Attributes
    ----------
    target
        The folder the user asked for.
    path
        The staging folder to write into.
    """

    def __init__(self, outdir: str | os.PathLike, force: bool = False) -> None:
        self.target = check_outdir(outdir, force)
        self.force = force
        self._real = Path(os.path.abspath(self.target))  # '.' or 'a/..' have a name and a parent here
        parent = self._real.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            _remove_stale(self._real)
            self.path = Path(tempfile.mkdtemp(prefix=_STAGE.format(name=self._real.name, pid=os.getpid()),
                                              dir=parent))
        except OSError as exc:
            raise OutputError(f"{exc.filename or parent}: cannot create the output folder "
                              f"({exc.strerror or exc})") from None
        self.done = False
        _LIVE.add(self)

    def __hash__(self) -> int:
        return id(self)

    def commit(self) -> Path:
        """Move the staged files into the target folder; returns the target."""
        if self.done:
            return self.target
        try:
            self._install()
        except OSError as exc:
            self.discard()
            raise _as_output_error(exc, self.path, self.target) from None
        self.done = True
        _LIVE.discard(self)
        return self.target

    def discard(self) -> None:
        """Remove the staging folder (the target is left as it was)."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.done = True
        _LIVE.discard(self)

    def _install(self) -> None:
        os.chmod(self.path, umask_mode(0o777))  # mkdtemp makes 0700; a new folder gets what mkdir would give
        target = self._real
        inside = Path.cwd() == target or target in Path.cwd().parents  # never pull the folder from under our feet
        if target.is_dir() and not any(target.iterdir()) and not inside:
            target.rmdir()
        if not target.exists():
            os.rename(self.path, target)  # the whole folder appears at once
            return
        check_outdir(target, self.force)
        # an existing folder with force: replace entry by entry, keep what this run does not write
        for entry in sorted(self.path.iterdir()):
            dest = target / entry.name
            if dest.is_dir() and not dest.is_symlink():
                old = Path(tempfile.mkdtemp(prefix=f".{entry.name}.old-", dir=target))
                os.rename(dest, old / entry.name)
                os.rename(entry, dest)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(entry, dest)
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
            return
        self.discard()
        if isinstance(exc, OSError) and not isinstance(exc, (OutputError, OutputExistsError)):
            raise _as_output_error(exc, self.path, self.target) from None
        if isinstance(exc, OutputError):
            raise OutputError(str(exc).replace(str(self.path), str(self.target))) from None


def staged_outdir(outdir: str | os.PathLike, force: bool = False) -> StagedOutdir:
    """Stage an output folder (see :class:`StagedOutdir`); refuses a non-empty
    existing folder unless ``force``."""
    return StagedOutdir(outdir, force)


@atexit.register
def discard_uncommitted() -> None:
    """Remove every staged output folder of this process that was not committed."""
    for staged in list(_LIVE):
        staged.discard()


# ------------------------------------------------------------ SBML text out
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def sbml_without_doctype(sbml: str, where: str = "SBML") -> str:
    """SBML text to write, with no ``<!DOCTYPE>`` and no entity declarations.

    A document read from an untrusted file may carry a DOCTYPE with entity
    declarations (``<!ENTITY x SYSTEM "file:///etc/passwd">``); receptorkin
    never copies them into what it writes.  Such a document is re-serialized
    by libsbml, which writes only the XML declaration and the ``<sbml>``
    element; any other document is returned unchanged.

    Raises
    ------
    SBMLError
        The document cannot be rewritten without them.
    """
    if not _DOCTYPE.search(sbml):
        return sbml
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    if doc.getModel() is None or doc.getNumErrors(libsbml.LIBSBML_SEV_FATAL) or doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR):
        raise SBMLError(f"{where}: the document has a DOCTYPE or entity declarations and cannot be rewritten "
                        f"without them; not written")
    clean = libsbml.writeSBMLToString(doc)
    if _DOCTYPE.search(clean):
        raise SBMLError(f"{where}: a DOCTYPE or entity declaration survives rewriting; not written")
    return clean
