"""The gold side of scoring: a dataset folder as built by ``newsclaims build``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from newsclaims.labels import LAYERS
from newsclaims.problems import InvalidInput, Problem


@dataclass
class GoldData:
    path: Path
    texts: dict[str, str]  # doc_id -> text, in fold order
    layers: dict[str, dict[str, list[dict]]]  # layer -> doc_id -> records
    kb: dict[str, dict]
    info: dict  # build_info.json: data_version, gold_sha256, files


def _jsonl(path: Path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError) as err:
        raise InvalidInput([Problem(str(path), "", "", f"an unreadable dataset file ({err})",
                                    "a dataset folder written by newsclaims build")]) from None


def load_gold_data(folder: Path | None = None) -> GoldData:
    """Read a dataset folder; default: the packaged dataset."""
    from newsclaims import paths

    folder = Path(folder) if folder else paths.dataset_dir()
    info_path = folder / "build_info.json"
    if not info_path.is_file():
        raise InvalidInput([Problem(str(folder), "", "", "no build_info.json", "a dataset folder written by newsclaims build")])
    info = json.loads(info_path.read_text("utf-8"))
    texts = {row["doc_id"]: row["text"] for row in sorted(_jsonl(folder / "documents" / "test.jsonl"), key=lambda r: r["fold"])}
    layers = {layer: {doc_id: [] for doc_id in texts} for layer in LAYERS}
    for layer in LAYERS:
        for row in _jsonl(folder / layer / "test.jsonl"):
            layers[layer][row["doc_id"]].append(row)
    kb = {row["id"]: row for row in _jsonl(folder / "kb" / "test.jsonl")}
    return GoldData(folder, texts, layers, kb, info)
