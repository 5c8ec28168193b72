"""Optional dependencies, one pattern for all: a missing one is one line naming the extra to install.

The extras are those of pyproject.toml's ``[project.optional-dependencies]`` (``sklearn``, ``spacy``,
``labelstudio``, ``hf``). Code needing one imports it through ``require`` where it is first used, so
the import stays lazy and the message is the same everywhere.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .problems import InvalidInput, Problem


def install_line(extra: str) -> str:
    """The command installing an extra, as every message names it."""
    return f"pip install 'newsclaims[{extra}]'"


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module``, or raise InvalidInput (one line) naming ``what`` needs it and the extra to install.

    ``what`` is what the user asked for (``--model sklearn``, ``newsclaims ls push``). Only a missing
    module is reported this way (the module or one it imports); any other failure of an installed
    package is raised as it is.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        package, missing = module.split(".")[0], err.name or module
        found = f"no module {package!r}" if missing.split(".")[0] == package else f"no module {missing!r} (needed by {package})"
        raise InvalidInput([Problem(what, "", "", found, f"the {extra} extra installed: {install_line(extra)}")]) from None
