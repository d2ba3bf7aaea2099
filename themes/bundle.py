"""Model bundles: a folder with the fitted models, the schemes they use, a manifest and a card.

::

    models/default/
      manifest.json        format version, library versions, hashes of every file, training
                           data hash and rows, seed, parameters, cross-validated metrics
      MODEL_CARD.md        the readable account of the same
      schemes/causes.toml  copies of the schemes, byte for byte
      causes.skops         one fitted ThemeClassifier per scheme, in skops format

Loading checks the manifest before anything is deserialised: every listed file must exist and
match its hash, no unlisted file may be present, and the library versions must be compatible.
The models are then read with skops against a fixed allow-list of types, so a planted file
cannot run code.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from . import __version__
from .data import current_umask
from .errors import BundleError
from .scheme import Scheme, from_toml

FORMAT = "themes-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CARD = "MODEL_CARD.md"
# Libraries whose versions decide whether a saved model means the same thing when loaded.
LIBRARIES = ("scikit-learn", "numpy", "scipy", "spacy", "spacy-lookups-data", "skops")
# Must match exactly at major.minor: estimators' internals change between minor releases.
STRICT = ("scikit-learn", "skops")

# Every type a bundle may contain. Anything else in a model file is refused before loading.
ALLOWED_TYPES = (
    # ThemeClassifier saves its vectorisers as plain strings and arrays (see its __getstate__),
    # so nothing else beyond skops' own default types (str, dict, list, numpy arrays) is needed.
    "themes.model.ThemeClassifier",
)


@dataclass
class Bundle:
    """A loaded bundle: models and schemes by scheme id, and the manifest they came with."""

    path: Path | None
    manifest: dict
    schemes: dict[str, Scheme]
    models: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", self.path.name if self.path else "unsaved"))

    @property
    def review(self) -> dict:
        return self.manifest.get("review", {})


def heldout_evaluations(metrics: dict) -> list[dict]:
    """Every held-out evaluation in a manifest's metrics, the main one first.

    The first file passed to ``--heldout`` stays under ``heldout`` (where bundles before
    several files were allowed keep it); any further files are listed under ``heldout_more``.
    """
    first = [metrics["heldout"]] if metrics.get("heldout") else []
    return first + list(metrics.get("heldout_more", []))


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- saving ------------------------------------------------------------------------------------


def save(bundle: Bundle, path: str | Path, *, card: str, overwrite: bool = False) -> Path:
    """Write a bundle folder whole: built in a temporary folder, then moved into place."""
    import skops.io as sio

    target = Path(path)
    if target.exists() and not overwrite:
        raise BundleError(f"{target} already exists: add --overwrite to replace it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    # mkdtemp makes the folder private (0700); a bundle is shared like any other output.
    staging.chmod(0o777 & ~current_umask())
    try:
        (staging / "schemes").mkdir()
        schemes_meta = {}
        for scheme_id, scheme in bundle.schemes.items():
            scheme_file = f"schemes/{scheme_id}.toml"
            (staging / scheme_file).write_bytes(scheme.source)
            model_file = f"{scheme_id}.skops"
            model = bundle.models[scheme_id]
            # Out-of-fold scores are training-time diagnostics, not part of the model.
            oof = model.__dict__.pop("oof_proba_", None)
            try:
                sio.dump(model, staging / model_file)
            finally:
                if oof is not None:
                    model.oof_proba_ = oof
            schemes_meta[scheme_id] = {
                "file": scheme_file,
                "model": model_file,
                "version": scheme.version,
                "sha256": scheme.sha256,
                "labels": list(scheme.leaves),
            }
        (staging / CARD).write_text(card, encoding="utf-8")
        manifest = dict(bundle.manifest)
        manifest.update(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            themes_version=__version__,
            libraries=library_versions(),
            schemes=schemes_meta,
        )
        manifest["files"] = {
            str(p.relative_to(staging)): sha256_file(p)
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    bundle.path = target
    bundle.manifest = manifest
    return target


# -- loading -----------------------------------------------------------------------------------


def read_manifest(path: str | Path) -> dict:
    """The manifest of a bundle folder, checked for form but without touching the models."""
    folder = Path(path)
    if not folder.is_dir():
        raise BundleError(
            f"No model bundle at {folder}: give the folder made by 'themes train' (for example models/default)."
        )
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"{folder} has no {MANIFEST}: it is not a themes model bundle.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleError(f"{folder / MANIFEST} is damaged (not valid JSON): retrain or restore the bundle.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{folder / MANIFEST} is not a themes bundle manifest.")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BundleError(
            f"{folder} uses bundle format {version}; this version of themes reads format "
            f"{FORMAT_VERSION}. Upgrade themes, or retrain with 'themes train'."
        )
    return manifest


def verify_files(folder: Path, manifest: dict) -> None:
    """Every file the manifest lists is present and unchanged, and nothing else is there."""
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not listed:
        raise BundleError(f"{folder / MANIFEST} lists no files: the bundle is incomplete.")
    for rel, expected in listed.items():
        file = folder / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise BundleError(f"{folder / MANIFEST} names a file outside the bundle ({rel}).")
        if not file.is_file():
            raise BundleError(f"{folder} is missing {rel}: restore the bundle or retrain.")
        if sha256_file(file) != expected:
            raise BundleError(
                f"{folder / rel} does not match the manifest (it was changed or damaged): "
                "restore the bundle or retrain."
            )
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    extra = sorted(present - set(listed) - {MANIFEST})
    if extra:
        raise BundleError(
            f"{folder} holds {extra[0]}, which the manifest does not list: remove it "
            "(a bundle must contain only its own files)."
        )


def check_libraries(folder: Path, manifest: dict) -> None:
    saved = manifest.get("libraries", {})
    here = library_versions()
    for name in STRICT:
        then, now = saved.get(name, "?"), here.get(name, "?")
        if _major_minor(then) != _major_minor(now):
            raise BundleError(
                f"{folder} was trained with {name} {then}, but this machine has {now}. "
                f"Install {name}=={_major_minor(then)}.* or retrain with 'themes train'."
            )
    if _major(saved.get("numpy", "?")) != _major(here.get("numpy", "?")):
        raise BundleError(
            f"{folder} was trained with numpy {saved.get('numpy')}, this machine has "
            f"{here.get('numpy')}: retrain with 'themes train'."
        )


def _major_minor(version: str) -> str:
    return ".".join(str(version).split(".")[:2])


def _major(version: str) -> str:
    return str(version).split(".")[0]


def _verified(folder: Path, manifest: dict, meta: object, key: str) -> str:
    """A scheme's file name, only if it is one of the files whose hash was just checked."""
    name = meta.get(key) if isinstance(meta, dict) else None
    if not isinstance(name, str) or name not in manifest.get("files", {}):
        raise BundleError(
            f"{folder / MANIFEST} names a scheme {key} that is not among its checked files: "
            "the bundle is damaged or altered. Retrain with 'themes train'."
        )
    return name


def load(path: str | Path) -> Bundle:
    """Load a bundle after checking its manifest, files and library versions."""
    import skops.io as sio

    folder = Path(path)
    manifest = read_manifest(folder)
    verify_files(folder, manifest)
    check_libraries(folder, manifest)
    schemes: dict[str, Scheme] = {}
    models = {}
    for scheme_id, meta in manifest.get("schemes", {}).items():
        schemes[scheme_id] = from_toml((folder / _verified(folder, manifest, meta, "file")).read_bytes())
        model_path = folder / _verified(folder, manifest, meta, "model")
        try:
            # Reads the file's schema only: nothing in it is constructed or imported yet.
            untrusted = sio.get_untrusted_types(file=model_path)
        except Exception as exc:  # noqa: BLE001 - not a zip, no schema, malformed schema
            raise BundleError(
                f"{model_path} is not a readable skops model file ({type(exc).__name__}): the file "
                "is not a themes model. Retrain with 'themes train'."
            ) from None
        refused = sorted(set(untrusted) - set(ALLOWED_TYPES))
        if refused:
            raise BundleError(
                f"{model_path} contains types that themes does not load ({refused[0]}"
                f"{' and others' if len(refused) > 1 else ''}): the file is not a themes model. "
                "Retrain with 'themes train'."
            )
        try:
            models[scheme_id] = sio.load(model_path, trusted=list(untrusted))
        except Exception as exc:  # skops raises several types for malformed files
            raise BundleError(f"{model_path} cannot be read ({type(exc).__name__}): retrain.") from None
    if not models:
        raise BundleError(f"{folder / MANIFEST} lists no schemes: the bundle is incomplete.")
    return Bundle(path=folder, manifest=manifest, schemes=schemes, models=models)
