"""Label Studio round trip: the labeling config (``config``), tasks with pre-annotations (``tasks``), reading an
export (``reader``), merging and writing annotator passes (``passes``) and the server (``server``).

The names below are what the ``newsclaims ls`` command and the tests use.
"""

from .config import Registry, instructions_html, label_config
from .passes import check_import, diff_summary, pass_name_problem, write_sets
from .reader import read_export
from .server import check_export, pull, push, status
from .tasks import document_result, task_file_json, tasks

__all__ = ["Registry", "check_export", "check_import", "diff_summary", "document_result", "instructions_html", "label_config", "pass_name_problem",
           "pull", "push", "read_export", "status", "task_file_json", "tasks", "write_sets"]
