"""``--model NAME`` or ``--model package.module:callable``: a Python callable, called with
``{"doc_id", "text"}`` per document, returning a prediction dict (the predictions-line format).
A callable's ``source_details`` dict, if it has one, is added to the report's ``predictions`` entry.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable

from newsclaims.problems import InvalidInput, Problem, show

from ..predictions import Predictions
from .answers import collect
from .pool import map_documents

# The shipped baselines by --model name. Import paths, not imports: the baselines are built on the
# harness, never the other way round. A name ending in ":" takes an argument: its entry is a factory,
# and --model NAME:ARG scores factory(ARG), --model NAME factory("").
BASELINES = {
    "rules": "newsclaims.baselines.rules:predict",
    "sklearn": "newsclaims.baselines.sklearn_tagger:predict",
    "spacy:": "newsclaims.baselines.spacy_adapter:predictor",
}


_NAME = re.compile(r"[A-Za-z_]\w*")
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")  # absolute: a relative name has no package to start from


def baseline_names() -> list[str]:
    """The shipped baselines as a user types them: a factory's name with its argument shown, ``spacy[:ARG]``."""
    return [name.replace(":", "[:ARG]") for name in BASELINES]


def resolve_model(spec: str) -> Callable[[dict], dict]:
    """A shipped baseline by name (``BASELINES``; ``NAME:ARG`` for one that takes an argument), or
    ``package.module:callable``.

    The module is an absolute dotted name and the callable a name in it; a module that cannot be
    found, has a syntax error or raises while it is imported is one line naming it and the error.
    """
    expected = f"a shipped baseline ({', '.join(baseline_names())}) or package.module:callable"
    name, _, argument = spec.partition(":")
    factory = f"{name}:" in BASELINES
    if spec in BASELINES or factory:
        module_name, _, attr = BASELINES[f"{name}:" if factory else spec].partition(":")
    elif ":" in spec:
        module_name, _, attr = spec.partition(":")
        for part, what, pattern in ((module_name, "module", _DOTTED_NAME), (attr, "callable", _NAME)):
            if not pattern.fullmatch(part):
                why = (f"no {what} name" if not part else "a relative module name" if part.startswith(".")
                       else f"{what} {part!r} is not a Python name")
                raise InvalidInput([Problem("--model", "", "", f"{show(spec)} ({why})", expected)])
    else:
        raise InvalidInput([Problem("--model", "", "", show(spec) if spec else "nothing", expected)])
    if os.getcwd() not in sys.path:  # as `python -m` does: a module in the current folder imports first
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise InvalidInput([Problem("--model", "", "", f"{spec!r} (ModuleNotFoundError: {err})",
                                    "an importable package.module:callable")]) from None
    except SyntaxError as err:  # the user's module itself: name the file and line
        where = f"{err.filename}:{err.lineno}" if err.filename else module_name
        raise InvalidInput([Problem("--model", "", "", f"module {module_name} with a syntax error ({where}: {err.msg})",
                                    "a module Python can import")]) from None
    except (Exception, SystemExit) as err:  # noqa: BLE001 - any error of the module's own import-time code is the module's
        raise InvalidInput([Problem("--model", "", "", f"module {module_name} raising {type(err).__name__} on import ({err})",
                                    "a module that imports without an error")]) from None
    try:
        fn = getattr(module, attr)
    except AttributeError as err:
        raise InvalidInput([Problem("--model", "", "", f"{spec!r} (AttributeError: {err})",
                                    "an importable package.module:callable")]) from None
    if not callable(fn):
        raise InvalidInput([Problem("--model", "", "", f"{spec!r} is not callable", "a function taking a document dict")])
    return fn(argument) if factory else fn


def run_callable(spec: str, texts: dict[str, str], workers: int = 1) -> Predictions:
    fn = resolve_model(spec)
    name = f"model {spec}"

    def one(doc_id: str):
        where = f"document {doc_id}"
        try:
            answer = fn({"doc_id": doc_id, "text": texts[doc_id]})
        except InvalidInput:  # the model's own clear message (a missing pipeline, say)
            raise
        except SystemExit as err:  # the model's own sys.exit() must not end newsclaims with its code, silently
            raise InvalidInput([Problem(name, where, "", f"a call to sys.exit({err.code!r})",
                                        "a prediction dict (the model tried to exit)")]) from None
        except KeyboardInterrupt:  # raised by the model itself: a real Ctrl-C reaches the main thread
            raise InvalidInput([Problem(name, where, "", "KeyboardInterrupt raised by the model",
                                        "a prediction dict (the model raised)")]) from None
        except Exception as err:  # a model's own failure is reported, not raised
            raise InvalidInput([Problem(name, where, "", f"{type(err).__name__}: {err}",
                                        "a prediction dict (the model raised)")]) from None
        return doc_id, answer  # checked by check_prediction as the reader checks a file (collect)

    predictions = collect(name, texts, map_documents(one, list(texts), workers, spec))
    predictions.source_details = dict(getattr(fn, "source_details", {}))
    return predictions
