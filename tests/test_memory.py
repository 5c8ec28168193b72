"""report.json's ``memory`` is the process tree's peak, each page counted once (``batches.TreeMemory``)."""

from __future__ import annotations

import os
import time

import pytest

from newsclaims import batches
from newsclaims.eval import gold as gold_module
from newsclaims.eval.bench import write_end_to_end_workload

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="PSS is read from Linux's /proc")

MB = 1024 * 1024


def _touched(size: int) -> bytearray:
    block = bytearray(size)
    for i in range(0, size, 4096):
        block[i] = 1
    return block


def _peak_with_child(child_writes: bool) -> tuple[int, int]:
    """(the tree's sampled peak in MB, this process's resident MB) while a forked child lives that
    inherits 80 MB and either leaves them shared or writes to every page (its own copies)."""
    shared = _touched(80 * MB)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: copy the pages or not, say so, wait to be ended
        os.close(read)
        if child_writes:
            for i in range(0, len(shared), 4096):
                shared[i] = 2
        os.write(write, b"x")
        time.sleep(30)
        os._exit(0)
    os.close(write)
    try:
        os.read(read, 1)
        tree = batches.TreeMemory()
        tree.sample()
        own = batches._pss_kb(os.getpid()) / 1024
        return tree.peak_mb()["peak_mb"], own
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(read)
        del shared


def test_shared_pages_count_once_and_copies_count_twice():
    peak_shared, _ = _peak_with_child(child_writes=False)
    peak_copied, _ = _peak_with_child(child_writes=True)
    assert peak_copied - peak_shared >= 60  # the child's 80 MB of copies are its own
    assert peak_shared < peak_copied


def test_the_sampler_thread_follows_the_tree():
    tree = batches.TreeMemory(os.getpid()).start()
    block = _touched(60 * MB)
    time.sleep(4 * batches.TreeMemory.INTERVAL)
    tree.stop()
    memory = tree.peak_mb()
    assert memory["samples"] >= 2 and memory["processes"] >= 1
    assert memory["peak_mb"] >= 60
    del block


def test_a_tracked_read_counts_its_workers(tmp_path, monkeypatch):
    from newsclaims import jsonio

    monkeypatch.setattr(jsonio, "BATCH_BYTES", 2048)
    monkeypatch.setattr(batches, "_MEMORY", None)
    data, _ = write_end_to_end_workload(tmp_path / "w", docs=40, spans=12)
    batches.track_memory()
    try:
        gold_module.load_gold_data(data, workers=2)
        memory = batches.peak_memory_mb()
    finally:
        batches._MEMORY.stop()
    assert memory["processes"] >= 3  # sampled while both workers lived
    import resource

    assert memory["peak_mb"] >= round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # never below its own peak


def test_untracked_is_this_process_alone(monkeypatch):
    monkeypatch.setattr(batches, "_MEMORY", None)
    memory = batches.peak_memory_mb()
    assert memory["processes"] == 1 and memory["samples"] == 0 and memory["peak_mb"] > 0
