"""``newsclaims.load_dataset``: the built dataset through Hugging Face ``datasets``, from anywhere.

``datasets.load_dataset("dataset", ...)`` only finds the folder from the repository root, and
``datasets`` keys its cache of a local folder by the files' modification times, so a warm cache can
serve rows that another checkout or another data version wrote. This function loads the packaged
folder (or any folder written by ``newsclaims build``) by its absolute path, into a cache folder
named by that build's gold digest and data-file checksums (from ``build_info.json``): two different
builds never share a cache folder, so one version's rows are never served for another's.

``datasets`` is imported only when the function runs (``pip install 'newsclaims[hf]'``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .problems import InvalidInput, Problem

BUILD_INFO = "build_info.json"


def build_key(info: dict) -> str:
    """The cache key of one build: its gold digest and a digest of its data files' checksums."""
    files = hashlib.sha256(json.dumps(info.get("files", {}), sort_keys=True).encode()).hexdigest()
    return f"{info['gold_sha256']}/{files[:16]}"


def read_build_info(folder: Path) -> dict:
    """build_info.json of a built folder, with every data file checked against its recorded sha256."""
    info_path = folder / BUILD_INFO
    try:
        info = json.loads(info_path.read_text("utf-8"))
    except FileNotFoundError:
        raise InvalidInput([Problem(str(folder), "", "", f"no {BUILD_INFO}", "a dataset folder written by newsclaims build")]) from None
    except (OSError, ValueError) as err:
        raise InvalidInput([Problem(str(info_path), "", "", f"unreadable JSON ({err})", "the build_info.json newsclaims build writes")]) from None
    if not isinstance(info, dict) or not isinstance(info.get("gold_sha256"), str) or not isinstance(info.get("files"), dict):
        raise InvalidInput([Problem(str(info_path), "", "gold_sha256", "no gold digest and file list",
                                    "the build_info.json newsclaims build writes")])
    for rel in sorted(info["files"]):
        path = folder / rel
        problem = checksum_problem(folder, info, rel, hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None)
        if problem:
            raise InvalidInput([problem])
    return info


def checksum_problem(folder: Path, info: dict, rel: str, actual: str | None) -> Problem | None:
    """The refusal of a data file whose sha256 (``actual``; None: no such file) is not the one
    ``build_info.json`` records for it, or that it records none for; None when they agree. Every
    reader of a built folder (``load_dataset``, ``newsclaims eval --data``) refuses with this line."""
    recorded = info["files"].get(rel)
    if recorded is None:
        return Problem(str(folder / BUILD_INFO), "", "files", f"no checksum of {rel}", "every data file's sha256, as newsclaims build writes them")
    if actual == recorded:
        return None
    return Problem(str(folder / rel), "", "sha256", actual or "no such file",
                   f"{recorded}, as recorded in {BUILD_INFO}: rebuild the folder with newsclaims build")


def load_dataset(config: str, data_dir: str | os.PathLike | None = None, **kwargs):
    """Load one config of the newsclaims dataset with ``datasets.load_dataset``.

    ``config`` is one of documents, entities, quotes, numeric_claims, ner_tokens, kb, claim_groups,
    quote_groups. ``data_dir`` is a folder written by ``newsclaims build`` (default: the dataset the
    installed package carries). Other keyword arguments go to ``datasets.load_dataset`` (``split=
    "test"`` returns the split itself instead of a ``DatasetDict``). Works from any working folder,
    offline.

    The cache is ``<cache_dir>/newsclaims/<gold_sha256>/<digest of the data files>``, where
    ``cache_dir`` is the one you pass or the ``datasets`` default (``HF_DATASETS_CACHE``, under
    ``HF_HOME``): a build with other data never reads this build's cached rows. Data files that do
    not match their checksums in ``build_info.json`` are refused before anything is loaded.

    ClassLabel columns (entities ``label``, quotes ``type``, numeric_claims ``approx``, ner_tokens
    ``ner_tags``, kb ``type``) come back as integers; ``ds.features["type"].int2str(row["type"])``
    gives the name.
    """
    from . import paths
    from .build import CONFIGS

    names = [c.name for c in CONFIGS]
    if config not in names:
        raise InvalidInput([Problem("newsclaims.load_dataset", "", "config", repr(config), "one of " + ", ".join(names))])
    folder = Path(data_dir).resolve() if data_dir is not None else paths.dataset_dir().resolve()
    if not folder.is_dir():
        raise InvalidInput([Problem(str(folder), "", "", "no such folder", "a dataset folder written by newsclaims build")])
    info = read_build_info(folder)
    try:
        import datasets
    except ImportError:
        raise ModuleNotFoundError("newsclaims.load_dataset needs the datasets library: pip install 'newsclaims[hf]'") from None
    base = Path(kwargs.pop("cache_dir", None) or datasets.config.HF_DATASETS_CACHE)
    return datasets.load_dataset(str(folder), config, cache_dir=str(base / "newsclaims" / build_key(info)), **kwargs)
