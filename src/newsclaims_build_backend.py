"""setuptools' build backend, with build/ emptied before a wheel is built.

setuptools copies the package into build/lib and never deletes from it, so a file removed from the
checkout would still ship in the next wheel. This module is named by pyproject.toml
(``build-backend``); it is not part of the installed package.
"""

import shutil
from pathlib import Path

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F401,F403 - every other hook as setuptools has it


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    shutil.rmtree(Path("build"), ignore_errors=True)
    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    shutil.rmtree(Path("build"), ignore_errors=True)
    return build_meta.build_editable(wheel_directory, config_settings, metadata_directory)
