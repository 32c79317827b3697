"""The leak gate in a child process, so that it costs the build little more than its scan.

Gathering the needles from every incident and filing them is most of the gate's work (at
10,000 incidents, 21 of its 31 seconds) and needs nothing from the built site but the theme's
words. So the child is forked once the incidents are validated, gathers the needles while
MkDocs renders the first pages, files them once the theme is written (``theme_written``), and
scans every file when the build is done (``check``), two files at a time on two cores. The
gate's answer is the same as ``leakgate.check_for_leaks`` gives in one process.

Fails closed: a child that dies, or fails, stops the build.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SitrepError
from .leakgate import LeakError, describe, find_leaks, gather_needles, read_text, theme_words
from .needle_index import Needle, NeedleIndex

if TYPE_CHECKING:
    from .site import SiteBuild


def can_fork() -> bool:
    """Whether the gate may be forked: on Linux, from a process without threads.

    Forked, not spawned: the child shares the validated catalogue instead of loading it again.
    But a process with threads (``mkdocs serve``) can leave a lock held in the child, and
    macOS's system libraries are not safe to fork: there the gate runs at the end in-process.
    """
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _fork() -> multiprocessing.context.ForkContext:
    context = multiprocessing.get_context("fork")
    assert isinstance(context, multiprocessing.context.ForkContext)
    return context


class GateChild:
    """A forked leak gate: ``theme_written`` once, then ``check`` once (or ``close``)."""

    def __init__(self, build: SiteBuild) -> None:
        self._conn, child_end = _fork().Pipe()
        # A daemon: it never outlives the build, whatever way the build ends.
        self._process = _fork().Process(target=_run, args=(build, child_end), name="sitrep-leak-gate",
                                      daemon=True)
        self._process.start()
        child_end.close()
        self._told = False

    def theme_written(self, site_dir: Path, canary: str) -> None:
        """The theme's pages and assets are in ``site_dir``: file the needles away from its words."""
        if not self._told:
            self._told = True
            # A child that died cannot be told; ``check`` finds out and stops the build.
            with contextlib.suppress(OSError):
                self._conn.send((str(site_dir), canary))

    def check(self, site_dir: Path, canary: str) -> None:
        """Scan every file of the finished site; raise ``LeakError`` on a leak."""
        self.theme_written(site_dir, canary)
        try:
            self._conn.send("scan")
            answer, text = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise SitrepError(f"the leak gate's process ended without an answer ({exc or 'no reply'}); "
                              "the build is stopped (rerun it; if it fails again, report it)") from None
        finally:
            self.close()
        if answer == "leaks":
            raise LeakError(text)
        if answer != "ok":
            raise SitrepError(f"the leak gate failed, so the build is stopped:\n{text}")

    def close(self) -> None:
        """Stop the child (a build that failed or finished)."""
        self._conn.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5)


def _run(build: SiteBuild, conn: Connection) -> None:
    try:
        needles = gather_needles(build)
        site_dir, canary = conn.recv()
        index = NeedleIndex(needles, canary, theme_words(Path(site_dir)))
        del needles
        if conn.recv() != "scan":
            return
        hits = scan_on_two_cores(Path(site_dir), index)
        conn.send(("leaks", describe(hits)) if hits else ("ok", ""))
    except EOFError:
        return  # the build stopped early; nobody is waiting for an answer
    except Exception:  # any failure must reach the parent, which fails closed
        conn.send(("error", traceback.format_exc(limit=8)))


def scan_on_two_cores(site_dir: Path, index: NeedleIndex) -> list[tuple[Path, Needle]]:
    """``find_leaks``, with the files shared between this process and one forked helper."""
    paths = sorted(p for p in site_dir.rglob("*") if p.is_file())
    if (os.cpu_count() or 1) < 2 or len(paths) < 200:
        return find_leaks(site_dir, index)
    # Interleaved, so both halves hold a share of the large overview pages. A plain fork: a
    # daemon process may not start a multiprocessing pool.
    reader, writer = _fork().Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:
        try:
            reader.close()
            writer.send(_scan_files(paths[1::2], index))
        finally:
            os._exit(0)
    writer.close()
    try:
        mine = _scan_files(paths[0::2], index)
        theirs = reader.recv()
    except EOFError:
        raise RuntimeError("the gate's second scanning process ended without an answer") from None
    finally:
        os.waitpid(pid, 0)
    return sorted([*mine, *theirs], key=lambda hit: hit[0])


def _scan_files(paths: list[Path], index: NeedleIndex) -> list[tuple[Path, Needle]]:
    return [(path, needle) for path in paths for needle in index.scan(read_text(path))]
