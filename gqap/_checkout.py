"""Running from a source checkout without installing: ``map_source_checkout`` lets
``import gqap.solvers`` (and ``gqap.bench``, ``gqap.cli``, ...) work from the repository root
by reading the package mapping from pyproject.toml, its one home."""

from __future__ import annotations


def map_source_checkout() -> None:
    """In a source checkout where ``gqap.solvers`` cannot be imported (no install, or an
    install shadowed by the checkout's own ``gqap/`` on the path), map the subpackages to
    their folders as pyproject.toml's ``[tool.setuptools.package-dir]`` says, so that
    ``import gqap.solvers`` works from the repository root; the mapping stays in one place.
    Installed (a wheel or an editable install with its finder) this does nothing."""
    import importlib.machinery
    import importlib.util
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or any(getattr(f, "gqap_source", False) for f in sys.meta_path):
        return
    try:
        if importlib.util.find_spec("gqap.solvers") is not None:
            return
    except (ImportError, ValueError):
        pass
    import tomllib

    try:
        dirs = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"][
            "package-dir"]
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        return
    folders = {name: root / folder for name, folder in dirs.items() if name != "gqap"}

    class SourceCheckoutFinder(importlib.machinery.PathFinder):
        """Finds the mapped subpackages (``gqap.solvers`` -> solvers/, ...) by name."""

        gqap_source = True

        @classmethod
        def find_spec(cls, fullname, path=None, target=None):  # noqa: ANN001, ANN206
            folder = folders.get(fullname)
            if folder is None or not (folder / "__init__.py").is_file():
                return None
            return importlib.util.spec_from_file_location(
                fullname, folder / "__init__.py", submodule_search_locations=[str(folder)])

    sys.meta_path.append(SourceCheckoutFinder)
