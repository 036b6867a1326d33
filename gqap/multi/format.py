"""The multi-cluster file format ``gqap-bench/multi`` (docs/FORMATS.md).

Same conventions as the paper's family: seconds, bits, hertz; a ``generator`` provenance
block; one row per line for the shift matrix. ``gqap.io`` dispatches here by format tag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.errors import FormatError, ValidationError
from gqap.io import (
    FORMAT_MULTI,
    SCHEMA_VERSION,
    _check_header,
    _get,
    _provenance_block,
    _provenance_from_block,
)
from gqap.multi.instance import MultiInstance

__all__ = ["FORMAT_MULTI", "multi_from_dict", "multi_to_dict"]
_PARAMS = ("N", "N_hat", "a_F", "b_F", "K", "eta", "s_p_bits", "s_m_bits", "convention")
_SITES = {"k_s": "k_site", "h_s": "h_site", "G": "G", "B_max": "B_max", "W_hz": "W_hz"}
_USERS = {"k_s": "k_user", "h_s": "h_user", "alpha": "alpha", "request_time_s": "request_time"}


def multi_to_dict(inst: MultiInstance) -> dict[str, Any]:
    """The JSON object of a multi instance (schema version 1)."""
    return {
        "format": FORMAT_MULTI, "version": SCHEMA_VERSION, "name": inst.name,
        "generator": _provenance_block(inst.provenance),
        "params": inst.params(),
        "sites": {key: getattr(inst, attr).tolist() for key, attr in _SITES.items()},
        "users": {key: getattr(inst, attr).tolist() for key, attr in _USERS.items()},
        "shift_steps": inst.shift_steps.tolist(),
    }


def _block(obj: dict[str, Any], key: str, names: Any, path: str | Path) -> dict[str, Any]:
    block = _get(obj, key, str(path))
    if not isinstance(block, dict):
        raise FormatError(f"{path}: {key} must be an object")
    unknown = set(block) - set(names)
    if unknown:
        raise FormatError(f"{path}: unknown field {key}.{sorted(unknown)[0]}")
    return block


def multi_from_dict(obj: dict[str, Any], path: str | Path = "<instance>") -> MultiInstance:
    """Build and validate a multi instance from its JSON object."""
    _check_header(obj, FORMAT_MULTI, path)
    unknown = set(obj) - {"format", "version", "name", "generator", "params", "sites",
                          "users", "shift_steps"}
    if unknown:
        raise FormatError(f"{path}: unknown field {sorted(unknown)[0]}")
    name = obj.get("name") or Path(str(path)).stem
    prov = _provenance_from_block(obj.get("generator"))
    params = _block(obj, "params", _PARAMS, path)
    sites = _block(obj, "sites", _SITES, path)
    users = _block(obj, "users", _USERS, path)
    kwargs: dict[str, Any] = dict(params)
    kwargs.update({attr: _get(sites, key, f"{path}: sites") for key, attr in _SITES.items()})
    kwargs.update({attr: _get(users, key, f"{path}: users") for key, attr in _USERS.items()})
    kwargs["shift_steps"] = _get(obj, "shift_steps", str(path))
    try:
        return MultiInstance(name=name, provenance=prov, **kwargs)
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from exc
    except TypeError as exc:
        raise FormatError(f"{path}: {exc}") from exc
