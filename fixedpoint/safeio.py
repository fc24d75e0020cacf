"""The one write path for every output file and directory (docs/failures.md).

Guarantees, for ``write_file`` and ``write_dir``:

- atomic: the content is built in a temporary sibling (``.<name>.winoadder-tmp-<pid>-<random>``) and
  renamed into place, so a reader sees the old output or the complete new one, never half of one;
- the target must be a regular file (``write_file``) or a directory (``write_dir``) or not exist: a
  device, FIFO, socket or a directory where a file is wanted is refused; a symlink the user named is
  written *through* (its regular-file target is replaced, the link stays); a dangling symlink is refused;
- permissions: a new file gets ``0o666 & ~umask`` (directories ``0o777 & ~umask``), a replaced file
  keeps its mode;
- ``write_files`` commits several files together: all temporaries first, then the renames, with the
  CLI's signal handling held back and the directories flock-ed against a concurrent commit;
- ``write_dir`` without ``force`` re-checks "empty or absent" at the rename itself (``rename(2)`` onto a
  non-empty directory fails), so a file created meanwhile or a concurrent writer is never replaced;
- temporaries are removed on any exception (the CLI turns SIGTERM/SIGHUP into one); a temporary left by
  a killed process (SIGKILL, power loss) is swept by the next write into the same directory;
- inputs are never replaced: the CLI registers every existing path the user named (``protect_inputs``);
  a file output onto one named by another option, or a directory output that holds one, is refused.

Every failure is a ``UsageError`` naming ``option`` and the path the user gave, never a temp name.
This module sits in ``fixedpoint`` because that is the bottom layer: simulator, vectors and winoadder
all import it, and it imports nothing from them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError

TMP_MARK = ".winoadder-tmp-"
_TMP_NAME = re.compile(r"^\..*\.winoadder-tmp-(\d+)-[0-9a-f]+$")
_INPUTS: dict[str, str] = {}  # real path -> the option that named it (set by the CLI for one run)


def protect_inputs(paths: dict[str, str], *, keep: bool = True) -> dict[str, str]:
    """Register the paths the user named (real path -> option), which outputs must not replace, on top
    of those registered already (``keep``: a command run by another, as ``demo`` runs ``vectors``, keeps
    the outer command's); returns the previous registry for the caller to restore."""
    previous = dict(_INPUTS)
    if not keep:
        _INPUTS.clear()
    for path, option in paths.items():
        _INPUTS.setdefault(path, option)
    return previous


def _check_not_input(target: Path, path, option: str, *, inside: bool) -> None:
    """UsageError when ``target`` is a path named by another option, or (``inside``) holds one."""
    real = os.path.realpath(target)
    for named, by in _INPUTS.items():
        if by == option and named == real:
            continue
        if named == real or (inside and named.startswith(real.rstrip(os.sep) + os.sep)):
            what = "is" if named == real else f"holds {named}, named by"
            raise UsageError(f"{option}: {path} {what} {by} (an input); refusing to replace it, name "
                             "another path")


def umask() -> int:
    """The process umask (read without changing it for long)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tmp_name(target: Path) -> Path:
    return target.parent / f".{target.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(directory: Path) -> list[Path]:
    """Remove temporaries of dead writers in ``directory``; returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        m = _TMP_NAME.match(entry.name)
        if m and not _alive(int(m.group(1))):
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def resolve_file_target(path, option: str) -> Path:
    """The regular file a write to ``path`` replaces (symlinks followed), or the new file's path.

    UsageError when the target is not a regular file, a symlink dangles, or the directory is missing.
    """
    path = Path(path)
    if str(path) in ("", ".", "..") or path.name in ("", ".", ".."):
        raise UsageError(f"{option}: {str(path)!r} is a directory; give a file path")
    target = path
    if path.is_symlink():
        target = path.resolve()
        if not target.exists():
            raise UsageError(f"{option}: {path} is a dangling symlink (to {target}); remove it or name "
                             "another path")
    if target.exists():
        mode = target.stat().st_mode
        if stat.S_ISDIR(mode):
            raise UsageError(f"{option}: {path} is a directory; give a file path")
        if not stat.S_ISREG(mode):
            raise UsageError(f"{option}: {path} is not a regular file (a device, FIFO or socket); "
                             "refusing to replace it")
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"{option}: directory does not exist: {parent}")
    _check_not_input(target, path, option, inside=False)
    _check_writable(_tmp_name(target), parent, option)  # where the temp file will go
    return target


def _check_writable(probe: Path, directory: Path, option: str) -> None:
    """Create (and remove) ``probe`` in ``directory``: the only sure test that a file can be written there."""
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{option}: cannot write into {directory}: {_why(exc)}") from None


def write_file(path, data: bytes | str | Callable[[Path], None], *, option: str) -> Path:
    """Write ``data`` (bytes, text, or a ``writer(tmp_path)``) atomically to ``path``; see the module doc."""
    return write_files({path: data}, option=option)[0]


def write_files(files: dict, *, option: str) -> list[Path]:
    """Write several files (path -> data as for ``write_file``) as one output: every file is built in its
    temporary first, then all are renamed into place with the CLI's SIGTERM/SIGHUP/SIGINT handling held
    back, so a signal leaves all the old files or all the new ones (a report is never half old).
    Two paths that reach the same file are refused."""
    staged: list[tuple[Path, Path]] = []
    current = None
    try:
        targets = []
        for path in files:
            current = path
            target = resolve_file_target(path, option)
            if target in targets:
                raise UsageError(f"{option}: {path} is written twice by this command (two outputs reach "
                                 "the same file)")
            targets.append(target)
        for (path, data), target in zip(files.items(), targets, strict=True):
            current = path
            sweep_stale(target.parent)
            old_mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
            tmp = _tmp_name(target)
            staged.append((tmp, target))
            _fill(tmp, data)
            os.chmod(tmp, old_mode if old_mode is not None else 0o666 & ~umask())
        with _signals_held(), _locked({target.parent for target in targets}):
            for tmp, target in staged:
                current = target
                os.replace(tmp, target)
    except OSError as exc:
        for tmp, _ in staged:
            _remove(tmp)
        raise UsageError(f"{option}: cannot write {current}: {_why(exc)}") from None
    except BaseException:
        for tmp, _ in staged:
            _remove(tmp)
        raise
    return targets


def _fill(tmp: Path, data) -> None:
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    if callable(data):
        os.close(fd)
        data(tmp)
        return
    payload = data.encode() if isinstance(data, str) else data
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def _locked(directories):
    """An exclusive flock on each directory for the block: two commands committing files into the same
    directory at once rename theirs one after the other, never interleaved."""
    fds = []
    try:
        for directory in sorted(directories):  # one order for every writer: no deadlock
            try:
                fd = os.open(directory, os.O_RDONLY)
            except OSError:  # a directory we may write but not read: commit unlocked
                continue
            fds.append(fd)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        for fd in fds:
            os.close(fd)  # closing releases the lock


_HELD: dict = {"depth": 0, "pending": None}


def defer_signal(exc: BaseException) -> bool:
    """Called by the CLI's signal handlers: inside ``_signals_held`` keep ``exc`` (the Terminated or
    KeyboardInterrupt the signal stands for) to raise when the block ends, and return True."""
    if _HELD["depth"]:
        _HELD["pending"] = _HELD["pending"] or exc
        return True
    return False


@contextlib.contextmanager
def _signals_held():
    """A block that the CLI's SIGTERM/SIGHUP/SIGINT handlers do not interrupt: a signal sent meanwhile is
    raised when the block ends (Python runs handlers in the main thread, whichever thread got it)."""
    _HELD["depth"] += 1
    try:
        yield
    finally:
        _HELD["depth"] -= 1
        pending = _HELD["pending"] if not _HELD["depth"] else None
        if pending is not None:
            _HELD["pending"] = None
            raise pending


def check_dir_target(path, option: str, *, force: bool) -> Path:
    """Validate an output directory before any work: absent, empty, or (with ``force``) a directory.

    Refuses the current directory and its ancestors, files and devices at the path, and (through a
    symlink) follows the link like ``write_file``. Returns the absolute target.
    """
    path = Path(path)
    target = Path(os.path.abspath(path))
    if path.is_symlink():
        target = path.resolve()
        if not target.exists():
            raise UsageError(f"{option}: {path} is a dangling symlink; remove it or name another path")
    cwd = Path.cwd().resolve()
    if target.exists() and (target.resolve() == cwd or target.resolve() in cwd.parents):
        raise UsageError(f"{option}: {path} is the current directory or contains it; "
                         "name a new or empty subdirectory")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{option}: {path} exists and is not a directory")
    if target.is_dir() and not force and any(target.iterdir()):
        raise UsageError(f"{option}: {path} is not empty; pass --force to replace it")
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"{option}: {parent} is not a directory")
    _check_not_input(target, path, option, inside=True)
    return target


def check_out_dir(path, option: str) -> Path:
    """Validate a directory that a command writes named files into (``study``/``tune``/``explore --out``,
    ``verify --coverage``), before any work: a directory, or absent below a writable directory.

    Files of the same names in it are replaced (each atomically, by ``write_file``); nothing else in it
    is touched. Returns the path.
    """
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise UsageError(f"{option}: {path} is a dangling symlink; remove it or name another path")
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option}: {path} exists and is not a directory")
    existing = path
    while not existing.exists():
        if existing.is_symlink():
            raise UsageError(f"{option}: {existing} is a dangling symlink; remove it or name another path")
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option}: {existing} is not a directory, so {path} cannot be created")
    _check_writable(_tmp_name(existing / "probe"), existing, option)
    return path


def make_out_dir(path, option: str) -> Path:
    """``check_out_dir`` again (things may have changed during the run), then create the directory."""
    path = check_out_dir(path, option)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option}: cannot create {path}: {_why(exc)}") from None
    return path


def write_dir(path, fill: Callable[[Path], None], *, option: str, force: bool = False) -> Path:
    """Build a directory with ``fill(tmp_dir)`` and rename it onto ``path`` atomically.

    Without ``force`` the target must be absent or empty *at the rename* (a concurrent writer or a file
    created meanwhile makes this fail with a UsageError, and nothing of theirs is touched). With
    ``force`` an existing directory is moved aside, the new one renamed in, then the old one removed.
    """
    target = check_dir_target(path, option, force=force)
    created = [p for p in target.parents if not p.exists()]  # removed again if the write fails
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option}: cannot create {target.parent}: {_why(exc)}") from None
    sweep_stale(target.parent)
    tmp = _tmp_name(target)
    try:
        os.mkdir(tmp, 0o700)
        fill(tmp)
        os.chmod(tmp, 0o777 & ~umask())
        _rename_dir(tmp, target, path, option, force)
    except OSError as exc:
        _remove(tmp)
        _remove_empty(created)
        raise UsageError(f"{option}: cannot write {path}: {_why(exc)}") from None
    except BaseException:
        _remove(tmp)
        _remove_empty(created)
        raise
    return target


def _remove_empty(directories: list[Path]) -> None:
    """rmdir the directories this write created (innermost first), while they are still empty."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:
            return


def _rename_dir(tmp: Path, target: Path, path, option: str, force: bool) -> None:
    try:
        os.rename(tmp, target)  # atomic; fails on a non-empty directory or a file
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise
        if not force or not target.is_dir() or target.is_symlink():
            raise UsageError(f"{option}: {path} is not empty (written meanwhile by someone else?); "
                             "nothing was replaced; pass --force to replace it") from None
    old = _tmp_name(target)
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
