"""A model file that would run code when loaded is refused, and never runs.

Each payload is first shown to work (loaded the unsafe way in a scratch folder, it creates a
file), then planted in a copy of a real bundle with the manifest's hashes updated, so that the
type allow-list is all that stands between it and execution. Loading through the CLI must exit
2 and the file must never appear. Flipped bytes, missing and extra files are refused by name.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import skops.io as sio

from themes.cli import app


class OpensAFile:
    """Unpickling this calls open(path, 'w'): the classic pickle payload."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):  # noqa: ANN204
        return (open, (self.path, "w"))


@pytest.fixture
def bundle_copy(small_bundle, tmp_path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(small_bundle, target)
    return target


def plant(bundle: Path, rel: str, data: bytes) -> None:
    """Replace one file and re-hash it in the manifest, as an attacker with write access would."""
    (bundle / rel).write_bytes(data)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"][rel] = hashlib.sha256(data).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def json_str(value: str) -> dict:
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True}


def call_node(module: str, name: str, *args: str) -> dict:
    """A skops node that calls module.name(*args) when constructed."""
    return {
        "__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
        "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                    "content": [json_str(a) for a in args]},
    }


def skops_with(genuine: Path, node: dict, out: Path) -> bytes:
    """The genuine model file with one extra attribute whose construction runs ``node``."""
    with zipfile.ZipFile(genuine) as archive:
        schema = json.loads(archive.read("schema.json"))
        members = {n: archive.read(n) for n in archive.namelist() if n != "schema.json"}
    attrs = schema["content"]
    attrs["content"]["planted"] = node
    attrs["key_types"]["content"].append({"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"})
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))
        for name, data in members.items():
            archive.writestr(name, data)
    return out.read_bytes()


def touch_command(path: Path) -> str:
    return f'"{sys.executable}" -c "open(r\'{path}\', \'w\').close()"'


PAYLOADS = ["pickle-open", "skops-open", "skops-os-system"]


def payload(kind: str, genuine: Path, marker: Path, scratch: Path) -> bytes:
    if kind == "pickle-open":
        return pickle.dumps(OpensAFile(marker))
    if kind == "skops-open":
        return skops_with(genuine, call_node("builtins", "open", str(marker), "w"), scratch / "p.skops")
    return skops_with(genuine, call_node("os", "system", touch_command(marker)), scratch / "p.skops")


def load_unsafely(kind: str, data: bytes, scratch: Path) -> None:
    """What a careless loader would do: proves the payload is live."""
    if kind == "pickle-open":
        pickle.loads(data).close()  # noqa: S301 - the point of the test
        return
    path = scratch / "unsafe.skops"
    path.write_bytes(data)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    if hasattr(loaded.planted, "close"):
        loaded.planted.close()


@pytest.mark.parametrize("kind", PAYLOADS)
def test_payload_is_live_when_loaded_unsafely(kind, small_bundle, tmp_path):
    marker = tmp_path / "pwned"
    data = payload(kind, small_bundle / "causes.skops", marker, tmp_path)
    assert not marker.exists()
    load_unsafely(kind, data, tmp_path)
    assert marker.exists()


@pytest.mark.parametrize("kind", PAYLOADS)
@pytest.mark.parametrize("command", ["classify", "evaluate"])
def test_planted_model_is_refused_and_never_runs(kind, command, runner, bundle_copy, small_training, tmp_path):
    marker = tmp_path / "pwned"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    plant(bundle_copy, "causes.skops", payload(kind, bundle_copy / "causes.skops", marker, scratch))
    out = tmp_path / "coded.csv"
    args = {
        "classify": ["classify", str(small_training), "--out", str(out), "--model", str(bundle_copy)],
        "evaluate": ["evaluate", str(small_training), "--model", str(bundle_copy)],
    }[command]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "causes.skops" in result.output and "not a themes model" in result.output
    assert "Traceback" not in result.output
    assert not marker.exists()
    assert not out.exists()


def test_refusal_names_the_forbidden_type(runner, bundle_copy, small_training, tmp_path):
    marker = tmp_path / "pwned"
    plant(bundle_copy, "pillars.skops", skops_with(bundle_copy / "pillars.skops", call_node("builtins", "open", str(marker), "w"), tmp_path / "p.skops"))
    result = runner.invoke(app, ["classify", str(small_training), "--out", str(tmp_path / "o.csv"), "--model", str(bundle_copy)])
    assert result.exit_code == 2 and "(builtins.open)" in result.output
    assert not marker.exists()


def test_model_path_outside_the_checked_files_is_refused(runner, bundle_copy, small_training, tmp_path):
    outside = tmp_path / "outside.skops"
    shutil.copy(bundle_copy / "causes.skops", outside)
    manifest = json.loads((bundle_copy / "manifest.json").read_text())
    manifest["schemes"]["causes"]["model"] = str(outside)
    (bundle_copy / "manifest.json").write_text(json.dumps(manifest))
    result = runner.invoke(app, ["classify", str(small_training), "--out", str(tmp_path / "o.csv"), "--model", str(bundle_copy)])
    assert result.exit_code == 2 and "not among its checked files" in result.output


def flip_byte(bundle: Path) -> str:
    model = bundle / "pillars.skops"
    data = bytearray(model.read_bytes())
    data[len(data) // 3] ^= 0x01
    model.write_bytes(bytes(data))
    return "pillars.skops does not match the manifest"


def remove_file(bundle: Path) -> str:
    (bundle / "schemes" / "causes.toml").unlink()
    return "is missing schemes/causes.toml"


def add_file(bundle: Path) -> str:
    (bundle / "extra.pkl").write_bytes(pickle.dumps({"a": 1}))
    return "holds extra.pkl, which the manifest does not list"


def damage_manifest(bundle: Path) -> str:
    (bundle / "manifest.json").write_text("{not json")
    return "manifest.json is damaged"


@pytest.mark.parametrize("damage", [flip_byte, remove_file, add_file, damage_manifest])
@pytest.mark.parametrize("command", ["info", "classify"])
def test_altered_bundle_is_refused_by_name(damage, command, runner, bundle_copy, small_training, tmp_path):
    says = damage(bundle_copy)
    args = ["info", str(bundle_copy)] if command == "info" else [
        "classify", str(small_training), "--out", str(tmp_path / "o.csv"), "--model", str(bundle_copy)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1


def test_no_code_path_unpickles(tmp_path):
    """Nothing in the package calls pickle/joblib/cloudpickle loading on a file it reads."""
    package = Path(__file__).resolve().parents[1] / "themes"
    found = subprocess.run(
        ["grep", "-rnE", r"pickle\.loads?\(|joblib\.load\(|cloudpickle\.loads?\(|torch\.load\(", str(package)],
        capture_output=True, text=True, check=False,
    )
    assert found.stdout == "", found.stdout
