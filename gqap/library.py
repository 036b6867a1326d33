"""The instance library shipped inside the package: named sets, and instances by name.

Each set is a folder of the ``gqap.sets`` package (the repository's ``instances/``) with a
``manifest.json`` (see ``gqap.instance_sets``); its name is the manifest's ``name``. An
instance is addressed as ``SET/NAME`` (``cordeau/20-15-35``, ``fig11a/u20-c000``), with
or without its file extension, wherever a path is accepted. Data is found through
``importlib.resources``, so the library works from any folder and any install.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from gqap.errors import GQAPError
from gqap.package_data import package_dir

PACKAGE = "gqap.sets"
MANIFEST = "manifest.json"


def library_root() -> Path:
    """The folder holding the shipped sets."""
    return package_dir(PACKAGE)


@functools.cache
def shipped_sets() -> dict[str, Path]:
    """Set name -> folder, for every manifest up to two levels below the library root."""
    root = library_root()
    found: dict[str, Path] = {}
    for manifest in sorted([*root.glob(f"*/{MANIFEST}"), *root.glob(f"*/*/{MANIFEST}")]):
        try:
            name = json.loads(manifest.read_text(encoding="utf-8")).get("name")
        except (OSError, ValueError, AttributeError):
            continue  # a broken manifest is reported when the set is read, not here
        found[str(name or manifest.parent.name)] = manifest.parent
    return found


def set_dir(name: str) -> Path:
    """The folder of the shipped set ``name``; unknown names raise a one-line error."""
    sets = shipped_sets()
    if name not in sets:
        raise GQAPError(f"instance set: no shipped set {name!r}; shipped sets: "
                        f"{', '.join(sorted(sets))}")
    return sets[name]


def _manifest_files(folder: Path) -> list[str]:
    try:
        rows = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["instances"]
        return [str(r["file"]) for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GQAPError(f"{folder / MANIFEST}: unreadable manifest ({exc})") from exc


def shipped_instance(ref: str) -> Path | None:
    """The file of the shipped instance ``SET/NAME`` (extension optional), or None when
    ``ref`` does not name a shipped set; a known set without that instance is an error."""
    set_name, sep, item = str(ref).replace("\\", "/").partition("/")
    if not sep or not item or set_name not in shipped_sets():
        return None
    folder = shipped_sets()[set_name]
    files = _manifest_files(folder)
    for file in files:
        if item in (file, Path(file).stem):
            return folder / file
    close = ", ".join(Path(f).stem for f in files[:5])
    raise GQAPError(f"{ref}: set {set_name!r} has no instance {item!r} ({len(files)} "
                    f"instances, e.g. {close})")


def resolve_instance(ref: str | Path) -> Path:
    """An existing file for ``ref``: the path itself, else the shipped instance it names."""
    path = Path(ref)
    if path.exists():
        return path
    shipped = shipped_instance(str(ref))
    if shipped is not None:
        return shipped
    raise GQAPError(f"{ref}: no such file (nor a shipped instance SET/NAME; shipped sets: "
                    f"{', '.join(sorted(shipped_sets()))})")
