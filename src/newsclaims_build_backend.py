"""setuptools' build backend, with build/ emptied before a wheel is built and the source commit recorded.

setuptools copies the package into build/lib and never deletes from it, so a file removed from the
checkout would still ship in the next wheel. A wheel also records what git says of the checkout it
is built from (``newsclaims/build_source.json``: commit and dirty flag, ``newsclaims.provenance``), so
that report.json names the code that scored after a ``pip install .``. This module is named by
pyproject.toml (``build-backend``, and ``BuildPy`` as setuptools' ``build_py``); it is not part of the
installed package.
"""

import json
import runpy
import shutil
from pathlib import Path

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F401,F403 - every other hook as setuptools has it
from setuptools.command.build_py import build_py

# provenance.py by its path: importing the package would import its dependencies, absent here.
_PROVENANCE = runpy.run_path(str(Path(__file__).resolve().parent / "newsclaims" / "provenance.py"))


class BuildPy(build_py):
    """build_py, then build_source.json beside the package's modules (an editable install asks git live)."""

    def run(self):
        super().run()
        if not self.editable_mode:
            target = Path(self.build_lib) / "newsclaims" / _PROVENANCE["BUILD_SOURCE"]
            target.write_text(json.dumps(_PROVENANCE["source_state"](Path.cwd())) + "\n", encoding="utf-8")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    shutil.rmtree(Path("build"), ignore_errors=True)
    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    shutil.rmtree(Path("build"), ignore_errors=True)
    return build_meta.build_editable(wheel_directory, config_settings, metadata_directory)
