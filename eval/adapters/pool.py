"""Documents on worker threads: results in order, a progress bar, and Ctrl-C that stops at once."""

from __future__ import annotations

import sys
import threading


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM during a model run: workers and children stopped, nothing written."""

    def __init__(self, done: int, total: int):
        self.done, self.total = done, total
        super().__init__(f"interrupted after {done} of {total} documents")


def _progress(total: int, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:  # the progress bar is a convenience, not a requirement
        return None
    return tqdm(total=total, desc=desc, unit="doc", file=sys.stderr, disable=None)


def map_documents(fn, items: list, workers: int, desc: str, steps=lambda item: 1, on_interrupt=None,
                   on_failure=None) -> list:
    """fn over items on worker threads, results in order, with a progress bar counting documents.

    Workers are daemon threads and the main thread only waits, so Ctrl-C reaches it at once: the
    remaining items are dropped, ``on_interrupt()`` ends what the workers wait on (child
    processes, sockets), and ``Interrupted`` says how many documents were done. After the first
    failure no new item is started and ``on_failure()`` may end the running ones; that first
    failure is raised once every worker has stopped.
    """
    total = sum(steps(item) for item in items)
    bar = _progress(total, desc)
    results: list = [None] * len(items)
    failures: list[BaseException] = []
    lock = threading.Lock()
    state = {"next": 0, "done": 0, "running": 0, "stop": False}
    finished = threading.Event()

    def worker():
        while True:
            with lock:
                if state["stop"] or state["next"] >= len(items):
                    state["running"] -= 1
                    if state["running"] == 0:
                        finished.set()
                    return
                index = state["next"]
                state["next"] += 1
            try:
                results[index] = fn(items[index])
            except BaseException as err:  # noqa: BLE001 - handed to the main thread, which raises it
                with lock:
                    failures.append(err)
                    first = not state["stop"]
                    state["stop"] = True
                if first and on_failure is not None:
                    on_failure()
            else:
                with lock:
                    state["done"] += steps(items[index])
            if bar is not None:
                bar.update(steps(items[index]))

    count = max(1, min(workers, len(items)))
    state["running"] = count
    if not items:
        finished.set()
    threads = [threading.Thread(target=worker, daemon=True, name=f"newsclaims-{desc}-{i}") for i in range(count)]
    try:
        for thread in threads:
            thread.start()
        while not finished.wait(0.1):  # a short wait, so a signal is handled within 0.1 s
            pass
    except KeyboardInterrupt:
        with lock:
            state["stop"] = True
            done = state["done"]
        if on_interrupt is not None:
            on_interrupt()
        raise Interrupted(done, total) from None
    finally:
        if bar is not None:
            bar.close()
    if failures:
        raise failures[0]
    return results
