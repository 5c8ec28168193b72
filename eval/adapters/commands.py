"""``--command "CMD"``: started once per worker; reads one document JSON per line on stdin and
writes one prediction per line on stdout, in any order (each line names its doc_id).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading

from newsclaims.problems import InvalidInput, Problem, show

from ..predictions import Predictions
from .answers import collect, parse_strict
from .pool import map_documents

# The watchdog of a run's children: a small process reading "+PID" / "-PID" lines (a child's process group
# started / ended). When its standard input ends without "done" (newsclaims died, even by SIGKILL), it kills
# every group still listed, so no command outlives the run that started it.
_WATCHDOG = """
import os, signal, sys
groups = set()
for line in sys.stdin:
    if line.strip() == "done":
        sys.exit(0)
    sign, pid = line[0], int(line[1:])
    (groups.add if sign == "+" else groups.discard)(pid)
for pid in groups:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
"""


class _Children:
    """Child processes of a run, each in its own process group, so that all can be ended at once.

    A watchdog process (``_WATCHDOG``), started with the first child, ends the groups when
    newsclaims itself dies without ending them (SIGKILL, a crash): the pipe to it closes.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen] = set()
        self.stopped = False
        self.watchdog: subprocess.Popen | None = None

    def _tell_watchdog(self, line: str) -> None:
        """Called with the lock held."""
        if self.watchdog is None:
            if line != "done":
                self.watchdog = subprocess.Popen([sys.executable, "-I", "-S", "-c", _WATCHDOG], stdin=subprocess.PIPE,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            else:
                return
        stdin = self.watchdog.stdin
        assert stdin is not None  # started with stdin=PIPE
        try:
            stdin.write(f"{line}\n".encode())
            stdin.flush()
            if line == "done":
                stdin.close()
                self.watchdog.wait(timeout=5)
                self.watchdog = None
        except (OSError, ValueError, subprocess.TimeoutExpired):  # a watchdog that died: the run goes on without it
            pass

    def start(self, argv: list[str], name: str) -> subprocess.Popen:
        program = argv[0] if argv else ""
        try:
            with self.lock:
                if self.stopped:
                    raise KeyboardInterrupt
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        start_new_session=True)
                self.procs.add(proc)
                self._tell_watchdog(f"+{proc.pid}")
        except FileNotFoundError:
            raise InvalidInput([Problem(name, "", "", f"no such program {program!r}", "an executable command")]) from None
        except PermissionError:
            what = "a folder" if os.path.isdir(program) else "a file that is not executable"
            raise InvalidInput([Problem(name, "", "", f"{program!r}, {what}", "an executable program")]) from None
        except OSError as err:
            raise InvalidInput([Problem(name, "", "", f"{program!r} cannot be started ({err.strerror})",
                                        "an executable program")]) from None
        return proc

    def end(self, proc: subprocess.Popen) -> None:
        """Kill the child's whole process group (it may have started its own children)."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        with self.lock:
            if proc in self.procs:
                self.procs.discard(proc)
                self._tell_watchdog(f"-{proc.pid}")

    def end_all(self) -> None:
        with self.lock:
            self.stopped = True
            procs = list(self.procs)
        for proc in procs:
            self.end(proc)
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        with self.lock:
            self._tell_watchdog("done")


def _decode_output_line(raw: bytes, label: str, number: int, shard: list[str]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        where = ""
        match = re.search(rb'"doc_id"\s*:\s*"([^"\\]*)"', raw)
        if match:
            doc_id = match.group(1).decode("utf-8", "replace")
            where = f"document {doc_id}" if doc_id in shard else ""
        raise InvalidInput([Problem(label, where, "", f"the byte 0x{raw[err.start]:02x} at byte {err.start} of the line",
                                    "UTF-8 text", number)]) from None


def run_command(command: str, texts: dict[str, str], workers: int = 1, timeout: float = 60.0) -> Predictions:
    """Run the command on shards of the documents; ``timeout`` is seconds per document.

    Each worker's command runs in its own process group: a timeout, a failure elsewhere or Ctrl-C
    kills the group. Output must be UTF-8 JSON lines read by the same strict reader as files.
    """
    name = f"command {command!r}"
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise InvalidInput([Problem("--command", "", "", f"{command!r} ({err})", "a shell-style command line")]) from None
    if not argv:
        raise InvalidInput([Problem("--command", "", "", "an empty command", "a program to run")])
    doc_ids = list(texts)
    shards = [doc_ids[i::max(1, workers)] for i in range(max(1, min(workers, len(doc_ids))))]
    children = _Children()

    def run_shard(shard: list[str]) -> list[tuple[str, object]]:
        stdin = "".join(json.dumps({"doc_id": d, "text": texts[d]}, ensure_ascii=False) + "\n" for d in shard).encode("utf-8")
        limit = timeout * len(shard)
        proc = children.start(argv, name)
        try:
            stdout, stderr = proc.communicate(stdin, timeout=limit)
        except subprocess.TimeoutExpired:
            children.end(proc)
            proc.communicate()
            raise InvalidInput([Problem(name, "", "", f"no answer after {limit:g} s ({len(shard)} documents)",
                                        f"one line per document within {timeout:g} s each (--timeout)")]) from None
        finally:
            children.end(proc)  # its own children too, even when it exited
        if children.stopped:
            raise KeyboardInterrupt
        if proc.returncode != 0:
            tail = (stderr.decode("utf-8", "replace").strip().splitlines() or ["no stderr"])[-1][:200]
            status = (f"death by signal {signal.Signals(-proc.returncode).name}" if proc.returncode < 0
                      else f"exit status {proc.returncode}")
            raise InvalidInput([Problem(name, "", "", f"{status} (stderr: {tail})", "exit status 0")])
        answers = []
        label = f"{name} output"
        for number, raw in enumerate(stdout.split(b"\n"), start=1):
            line = _decode_output_line(raw, label, number, shard)
            if not line.strip():
                continue
            obj = parse_strict(line, label, number)
            doc_id = obj.get("doc_id") if isinstance(obj, dict) else None
            if not isinstance(doc_id, str) or doc_id not in shard:
                raise InvalidInput([Problem(label, "", "doc_id", show(doc_id), "the doc_id of a document it was given", number)])
            answers.append((doc_id, obj))
        return answers

    try:
        answers = map_documents(run_shard, shards, len(shards), "command", steps=len, on_interrupt=children.end_all,
                                 on_failure=children.end_all)  # a failed shard ends the others
    finally:
        children.end_all()
    return collect(name, texts, [a for shard_answers in answers for a in shard_answers])
