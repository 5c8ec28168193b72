"""Large JSON Lines inputs checked a chunk at a time, on every core.

``checked_chunks(handle, label, check, context)`` cuts a stream into chunks of whole lines
(``jsonio.iter_chunks``) and runs ``check(context, chunk, first_line)`` on each. A check is a pure
function: it returns a compact result (arrays, a few strings), or None when it cannot vouch for
every line of its chunk; the caller then reads that chunk with ``jsonio.exact_lines`` and checks it
line by line, where every refusal gets its one-line message. Results come back in file order, so
the first problem of a file is still the first one reported.

A regular file of at least ``PARALLEL_BYTES`` is checked in worker processes, one per core (at
most ``MAX_WORKERS``), forked after the context is built so they share it without copying. The
caller's process reads, hashes and keeps everything; the workers only compute, one chunk each
ahead of the reader, so memory stays bounded. On any exit (an error, Ctrl-C, SIGTERM) the
workers are ended before the caller goes on. On a terminal, a large file shows a progress bar.

``track_memory`` and ``peak_memory_mb`` give a run's peak memory as it is: its process tree's,
sampled, each page counted once however many processes share it (``TreeMemory``).
"""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, Any

from .jsonio import BATCH_BYTES, iter_chunks

PARALLEL_BYTES = 8 * BATCH_BYTES
MAX_WORKERS = 4
Check = Callable[[Any, bytes, int], Any]

_TASK: tuple[Check, Any] | None = None  # what forked workers run, set before they are forked


class TreeMemory:
    """The peak memory of a process tree (a process and its live descendants), sampled: each sample
    sums the proportional set size (PSS, ``/proc/PID/smaps_rollup``) of every process of the tree, so
    a page shared by several of them (a forked worker's inherited pages) is counted once in all. A
    daemon thread samples every ``INTERVAL`` seconds, or more rarely when a sample takes long (the
    kernel walks every page), so sampling takes at most a tenth of a core. The peak is also never
    below the root's own maximum resident set (``getrusage``, exact), which is a floor of the tree's:
    a peak between samples of the root alone is not missed. Without ``/proc`` (not Linux) only that
    floor is known (``sampled`` stays 0)."""

    INTERVAL = 0.05

    def __init__(self, root: int | None = None):
        import threading

        self.root = os.getpid() if root is None else root
        self.peak_kb = 0
        self.processes = 0  # the most processes of the tree alive at one sample
        self.samples = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newsclaims-memory", daemon=True)

    def start(self) -> TreeMemory:
        if os.path.exists(f"/proc/{self.root}/smaps_rollup"):
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        import time

        while not self._stop.is_set():
            began = time.thread_time()  # this thread's CPU time, the kernel's walk included (not its waits for the GIL)
            if not self.sample():
                return  # the root is gone
            self._stop.wait(max(self.INTERVAL, 9 * (time.thread_time() - began)))

    def sample(self) -> bool:
        """Take one sample now; False when the root is gone."""
        pids = _tree(self.root)
        total = [kb for kb in map(_pss_kb, pids) if kb is not None]
        if not total:
            return False
        with self._lock:
            self.peak_kb = max(self.peak_kb, sum(total))
            self.processes = max(self.processes, len(total))
            self.samples += 1
        return True

    def peak_mb(self, floor_kb: int = 0) -> dict:
        """report.json's ``memory``: the tree's peak (never below ``floor_kb``), the most processes
        alive at once, the number of samples."""
        with self._lock:
            return {"peak_mb": round(max(self.peak_kb, floor_kb) / 1024), "processes": self.processes, "samples": self.samples}


def _tree(root: int) -> list[int]:
    """``root`` and its live descendants (``/proc/PID/task/TID/children``)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children", "rb") as handle:
                    todo += map(int, handle.read().split())
        except OSError:  # gone meanwhile, or a kernel without the children file: its children are not seen
            continue
    return found


def _pss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


_MEMORY: TreeMemory | None = None  # this process's tree, once track_memory started it


def track_memory() -> None:
    """Start sampling this process's tree (once; ``newsclaims eval`` does so first thing)."""
    global _MEMORY
    if _MEMORY is None:
        _MEMORY = TreeMemory().start()


def peak_memory_mb() -> dict:
    """This run's peak memory so far, its worker processes included, shared pages once
    (``TreeMemory``; a sample is taken now). Untracked (no ``track_memory``), this process's own
    peak alone."""
    import resource

    own_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if _MEMORY is None:
        return {"peak_mb": round(own_kb / 1024), "processes": 1, "samples": 0}
    _MEMORY.sample()
    return _MEMORY.peak_mb(own_kb)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _file_size(handle: IO[bytes]) -> int:
    """The size of a regular file's stream; 0 for a pipe, a terminal or a stream without a file."""
    try:
        info = os.fstat(handle.fileno())
    except (AttributeError, OSError, ValueError):
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def default_workers(handle: IO[bytes]) -> int:
    """Worker processes for a stream: one per core for a large regular file, else none (0)."""
    if _file_size(handle) < PARALLEL_BYTES:
        return 0
    cores = min(available_cores(), MAX_WORKERS)
    if cores < 2:
        return 0
    import multiprocessing

    return cores if "fork" in multiprocessing.get_all_start_methods() else 0  # workers share the context by forking


def checked_chunks(handle: IO[bytes], label: str, check: Check, context: Any,
                   workers: int | None = None) -> Iterator[tuple[int, bytes, Any]]:
    """(first line number, chunk, check's result or None) for each chunk, in file order.

    ``workers``: None decides by ``default_workers``; 0 checks in this process.
    """
    workers = default_workers(handle) if workers is None else workers
    chunks = _with_progress(iter_chunks(handle, label), handle, label)
    if workers <= 0:
        for first, chunk in chunks:
            yield first, chunk, _safely(check, context, chunk, first)
        return
    yield from _in_workers(chunks, check, context, workers)


def _with_progress(chunks, handle: IO[bytes], label: str):
    """The chunks, with a progress bar of bytes read on a terminal for a large regular file."""
    size = _file_size(handle)
    if size < PARALLEL_BYTES:
        yield from chunks
        return
    import sys

    from tqdm import tqdm

    with tqdm(total=size, desc=f"reading {os.path.basename(label)}", unit="B", unit_scale=True, file=sys.stderr,
              disable=None, leave=False) as bar:
        for first, chunk in chunks:
            yield first, chunk
            bar.update(len(chunk))


def _safely(check: Check, context: Any, chunk: bytes, first: int) -> Any:
    try:
        return check(context, chunk, first)
    except Exception:  # noqa: BLE001 - a check that cannot decide leaves the chunk to the exact path
        return None


_SIGNALS = None  # (SIGINT, SIGTERM), once signal is imported


def _serve(conn, inherited: list) -> None:
    """A worker: check each chunk sent, send back the result, until the caller closes the pipe.

    It starts with Ctrl-C and SIGTERM blocked (the caller blocks them around the fork), ignores
    Ctrl-C (the caller's to handle) and dies of SIGTERM without a traceback. It closes the caller's
    ends of the pipes it inherited, so the caller's death is an end of file here."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    for other in inherited:
        other.close()
    check, context = _TASK
    while True:
        try:
            task = conn.recv()
            if task is None:  # the caller is done
                return
            first, chunk = task
            conn.send(_safely(check, context, chunk, first))
        except (EOFError, OSError):
            return


def _in_workers(chunks, check: Check, context: Any, workers: int) -> Iterator[tuple[int, bytes, Any]]:
    """Chunk i goes to worker i mod n, which gets its next chunk only once its result is read (so
    neither side ever blocks writing to the other). A worker that dies leaves its chunk, and the
    rest, to this process; a problem reading the input comes after the chunks read before it."""
    import multiprocessing
    import signal

    global _TASK, _SIGNALS
    _TASK = (check, context)
    _SIGNALS = {signal.SIGINT, signal.SIGTERM}
    fork = multiprocessing.get_context("fork")
    procs, conns = [], []
    try:
        for _ in range(workers):
            ours, theirs = fork.Pipe()
            proc = fork.Process(target=_serve, args=(theirs, [*conns, ours]), daemon=True)
            signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)  # a signal now is taken once proc is known
            try:
                proc.start()
                procs.append(proc)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
                theirs.close()
            conns.append(ours)
        pending: deque = deque()  # (first, chunk, worker) in file order
        broken = False
        problem = None
        source = iter(chunks)
        while True:
            try:
                first, chunk = next(source)
            except StopIteration:
                break
            except Exception as err:  # noqa: BLE001 - raised after the chunks read before it
                problem = err
                break
            if not broken and len(pending) == workers:
                done_first, done_chunk, worker = pending.popleft()
                result, broken = _receive(conns[worker])
                yield done_first, done_chunk, result if not broken else _safely(check, context, done_chunk, done_first)
            if not broken:
                worker = (pending[-1][2] + 1) % workers if pending else 0
                broken = not _send(conns[worker], (first, chunk))
                if not broken:
                    pending.append((first, chunk, worker))
                    continue
            while pending:  # a worker is gone: the rest is checked here
                f, c, _ = pending.popleft()
                yield f, c, _safely(check, context, c, f)
            yield first, chunk, _safely(check, context, chunk, first)
        while pending:
            first, chunk, worker = pending.popleft()
            result, gone = _receive(conns[worker]) if not broken else (None, True)
            broken = broken or gone
            yield first, chunk, result if not gone else _safely(check, context, chunk, first)
        if _MEMORY is not None and not broken:
            _MEMORY.sample()  # the workers at their fullest, however short their life
        if problem is not None:
            raise problem
        for conn in conns:
            _send(conn, None)
    finally:
        for conn in conns:
            conn.close()
        for proc in procs:
            proc.terminate()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        _TASK = None


def _send(conn, message) -> bool:
    """Whether the worker took the message (False: it is gone)."""
    try:
        conn.send(message)
        return True
    except OSError:  # BrokenPipeError is one
        return False


def _receive(conn) -> tuple[Any, bool]:
    """(a worker's result, whether the worker is gone); a gone worker's chunk gets None."""
    try:
        return conn.recv(), False
    except (EOFError, OSError):
        return None, True
