"""newsclaims.load_dataset: the installed data from any folder, offline, never another build's cached rows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI, REPO
from newsclaims.build import gold_digest

INFO = json.loads((REPO / "dataset" / "build_info.json").read_text("utf-8"))


def make_venv(where: Path) -> Path:
    """A virtual environment that sees this interpreter's packages (but not its newsclaims install)."""
    import venv

    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    parents = [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and Path(p).is_dir()]
    (Path(purelib) / "_parent_packages.pth").write_text("".join(f"{p}\n" for p in parents))
    return python


def hf_env(tmp_path: Path) -> dict:
    """An empty Hugging Face cache in tmp_path and no hub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_DATASETS_CACHE=str(tmp_path / "hf" / "datasets"),
               HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", PYTHONNOUSERSITE="1")
    env.pop("PYTHONPATH", None)
    return env


LOAD_EVERY_CONFIG = """
import json, sys, newsclaims
from newsclaims.build import CONFIGS
out = {"file": newsclaims.__file__}
for c in CONFIGS:
    ds = newsclaims.load_dataset(c.name, split="test")
    out[c.name] = {"rows": ds.num_rows, "cache": ds.cache_files[0]["filename"]}
q = newsclaims.load_dataset("quotes")["test"]
out["type_name"] = q.features["type"].int2str(q[0]["type"])
out["type_raw"] = q[0]["type"]
print(json.dumps(out))
"""


def check_loaded(out: dict, cache_root: Path) -> None:
    for name, rows in INFO["rows"].items():
        assert out[name]["rows"] == rows, name
        cache = Path(out[name]["cache"])
        assert cache.is_relative_to(cache_root / "newsclaims" / INFO["gold_sha256"]), cache
    assert isinstance(out["type_raw"], int) and out["type_name"] in ("direct", "indirect")


@pytest.mark.slow
def test_installed_wheel_loads_every_config_from_an_empty_folder_offline(tmp_path):
    """A non-editable install (wheel in a fresh venv), an empty folder, an empty HF cache, no hub."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = wheels.glob("newsclaims-*.whl")
    python = make_venv(tmp_path / "venv")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    run = subprocess.run([str(python), "-c", LOAD_EVERY_CONFIG], cwd=empty, env=hf_env(tmp_path), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert "site-packages" in out["file"] and not out["file"].startswith(str(REPO))
    check_loaded(out, tmp_path / "hf" / "datasets")
    assert list(empty.iterdir()) == []  # nothing written into the working folder


@pytest.mark.slow
def test_checkout_loads_from_another_folder(tmp_path):
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = hf_env(tmp_path)
    env["PYTHONPATH"] = str(REPO / "src")  # (editable installs resolve the same way)
    run = subprocess.run([sys.executable, "-c", LOAD_EVERY_CONFIG], cwd=empty, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    check_loaded(json.loads(run.stdout.strip().splitlines()[-1]), tmp_path / "hf" / "datasets")


def _bump_mini(root: Path) -> None:
    """Change one gold value and record it as a new data version."""
    path = root / "annotations" / "gold" / "mini_a.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["numeric_claims"][0]["value"] = 12000
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2))
    changelog = root / "CHANGELOG.md"
    digest = gold_digest(root / "annotations", root / "seeds")
    changelog.write_text(changelog.read_text().replace("## data 1.0.0", f"## data 1.0.1 (2026-11-22)\ngold-sha256: {digest}\n- fix.\n\n## data 1.0.0", 1))


def test_a_rebuilt_folder_never_serves_the_old_rows(build_mini, mini_copy, tmp_path):
    """The same folder path, rebuilt with other gold: the new rows, from a new cache folder."""
    pytest.importorskip("datasets")
    from newsclaims import load_dataset

    cache = tmp_path / "cache"
    out = build_mini(out=tmp_path / "data")
    first = load_dataset("numeric_claims", data_dir=out, split="test", cache_dir=cache)
    shutil.rmtree(out)
    _bump_mini(mini_copy)
    build_mini(mini_copy, out)
    second = load_dataset("numeric_claims", data_dir=out, split="test", cache_dir=cache)
    assert first[0]["value"] != 12000 and second[0]["value"] == 12000
    assert first.cache_files[0]["filename"] != second.cache_files[0]["filename"]
    digests = sorted(p.name for p in (cache / "newsclaims").iterdir())
    assert digests == sorted([gold_digest(MINI / "annotations", MINI / "seeds"), gold_digest(mini_copy / "annotations", mini_copy / "seeds")])


def test_an_edited_data_file_is_refused(build_mini, tmp_path):
    from newsclaims import load_dataset
    from newsclaims.problems import InvalidInput

    out = build_mini(out=tmp_path / "data")
    path = out / "quotes" / "test.jsonl"
    path.write_text(path.read_text("utf-8").replace('"indirect"', '"direct"'))
    with pytest.raises(InvalidInput) as err:
        load_dataset("quotes", data_dir=out, cache_dir=tmp_path / "cache")
    assert str(err.value).startswith(f"{path}: sha256: found ") and "rebuild the folder with newsclaims build" in str(err.value)


def test_unknown_config_and_missing_folder_are_one_line(tmp_path):
    from newsclaims import load_dataset
    from newsclaims.problems import InvalidInput

    with pytest.raises(InvalidInput, match=r"config: found 'quote'; expected one of documents, entities, quotes"):
        load_dataset("quote")
    with pytest.raises(InvalidInput, match="no such folder"):
        load_dataset("quotes", data_dir=tmp_path / "nowhere")


def test_without_datasets_the_error_says_what_to_install(tmp_path):
    code = ("import sys; sys.modules['datasets'] = None; import newsclaims\n"
            "try:\n    newsclaims.load_dataset('quotes')\nexcept ModuleNotFoundError as err:\n    print(err)\n")
    env = hf_env(tmp_path)
    env["PYTHONPATH"] = str(REPO / "src")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.stdout == "newsclaims.load_dataset needs the datasets library: pip install 'newsclaims[hf]'\n", run.stderr


def test_importing_newsclaims_does_not_import_datasets(tmp_path):
    code = "import sys, newsclaims; newsclaims.load_dataset; print('datasets' in sys.modules)"
    env = hf_env(tmp_path)
    env["PYTHONPATH"] = str(REPO / "src")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.stdout.strip() == "False", run.stderr
