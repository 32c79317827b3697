"""Loading a whole catalogue: clients.yml and every incident file, in worker processes when many.

Reading a file is mostly PyYAML building objects in Python (about 0.3 ms a file), so 10,000
files take seconds on one core. From PARALLEL_FROM files on, chunks of files are read in worker
processes while this process reads chunks from the other end; results are put back in file order,
so the catalogue and its problems are the same as when read one after another.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem, display_path
from .load import incident_files, load_clients, load_incident
from .model import Catalogue, Incident

# Below this a worker's start (about 0.2 s: a new interpreter importing PyYAML) costs more than
# it saves.
PARALLEL_FROM = 2000
CHUNK = 250
MAX_WORKERS = 4

Result = tuple[Incident | None, list[Problem]]


@dataclass
class Loaded:
    """What loading a set of files produced: the catalogue and every problem found."""

    catalogue: Catalogue
    problems: list[Problem] = field(default_factory=list)


def load_catalogue(folder: Path, paths: list[Path] | None = None) -> Loaded:
    """Clients and incidents of ``folder`` (or just ``paths``), with every problem found."""
    clients, problems = load_clients(folder / "clients.yml")
    incidents = []
    seen: dict[str, str] = {}
    for incident, found in load_incidents(paths if paths is not None else incident_files(folder)):
        problems += found
        if incident is None:
            continue
        if incident.id in seen:
            problems.append(Problem(incident.path, 1, f"duplicate incident id {incident.id!r}",
                                    f"{seen[incident.id]} has the same file name; rename one"))
            continue
        seen[incident.id] = incident.path
        incidents.append(incident)
    return Loaded(Catalogue(clients, tuple(incidents)), problems)


def load_incidents(paths: list[Path]) -> list[Result]:
    """``load_incident`` of each path, in order; in worker processes when there are many."""
    # Paths are shown as this process sees them, whatever a worker's working directory.
    jobs = [(path, display_path(path)) for path in paths]
    workers = worker_count(len(jobs))
    if workers == 0:
        return load_chunk(jobs)
    try:
        return _in_workers(jobs, workers)
    except (BrokenProcessPool, OSError, NotImplementedError):
        return load_chunk(jobs)


def worker_count(files: int) -> int:
    """Worker processes for ``files`` files: none for few files or one CPU; this process reads too."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if files < PARALLEL_FROM or cpus < 2:
        return 0
    return min(cpus, MAX_WORKERS) - 1


def load_chunk(jobs: list[tuple[Path, str]]) -> list[Result]:
    """Each (path, shown) loaded; what a worker runs."""
    # Loading makes hundreds of thousands of objects and no reference cycles: the collector's
    # passes over them would cost a tenth of the time and find nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [load_incident(path, shown) for path, shown in jobs]
    finally:
        if enabled:
            gc.enable()


def _in_workers(jobs: list[tuple[Path, str]], workers: int) -> list[Result]:
    chunks = [jobs[start : start + CHUNK] for start in range(0, len(jobs), CHUNK)]
    front, back = 0, len(chunks)  # workers take chunks from the front, this process from the back
    done: dict[int, list[Result]] = {}
    running: dict[int, Future[list[Result]]] = {}
    # spawn, not fork: ``mkdocs serve`` has threads, and forking them can hang.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        while front < back or running:
            # Two chunks per worker in flight, so none waits while this process reads.
            while front < back and len(running) < 2 * workers:
                running[front] = pool.submit(load_chunk, chunks[front])
                front += 1
            if front < back:
                back -= 1
                done[back] = load_chunk(chunks[back])
            else:
                wait(running.values(), return_when=FIRST_COMPLETED)
            for index in [i for i, future in running.items() if future.done()]:
                done[index] = running.pop(index).result()
    return [result for index in range(len(chunks)) for result in done[index]]
