"""The multi-cluster file format ``gqap-bench/multi`` (docs/FORMATS.md).

Same conventions as the paper's family: seconds, bits, hertz; a ``generator`` provenance
block; one row per line for the shift matrix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.multi.instance import MultiInstance
from gqap.multi.solution import MultiSolution
from gqap.schema import (
    get_field,
    instance_header,
    instance_object,
    known_fields,
    naming_the_file,
    numbers,
    object_field,
)

__all__ = ["FORMAT_MULTI", "multi_from_dict", "multi_to_dict", "solution_from_dict"]
FORMAT_MULTI = "gqap-bench/multi"
_PARAMS = ("N", "N_hat", "a_F", "b_F", "K", "eta", "s_p_bits", "s_m_bits", "convention")
_SITES = {"k_s": "k_site", "h_s": "h_site", "G": "G", "B_max": "B_max", "W_hz": "W_hz"}
_USERS = {"k_s": "k_user", "h_s": "h_user", "alpha": "alpha", "request_time_s": "request_time"}


def multi_to_dict(inst: MultiInstance) -> dict[str, Any]:
    """The JSON object of a multi instance (schema version 1)."""
    return instance_object(
        FORMAT_MULTI, inst, params=inst.params(),
        sites={key: getattr(inst, attr).tolist() for key, attr in _SITES.items()},
        users={key: getattr(inst, attr).tolist() for key, attr in _USERS.items()},
        shift_steps=inst.shift_steps.tolist())


def _block(obj: dict[str, Any], key: str, names: Any, path: str | Path) -> dict[str, Any]:
    block = object_field(obj, key, path)
    known_fields(block, names, f"{key}.", path)
    return block


def multi_from_dict(obj: dict[str, Any], path: str | Path = "<instance>") -> MultiInstance:
    """Build and validate a multi instance from its JSON object."""
    name, prov = instance_header(obj, FORMAT_MULTI, ("params", "sites", "users",
                                                     "shift_steps"), path)
    params = _block(obj, "params", _PARAMS, path)
    sites = _block(obj, "sites", _SITES, path)
    users = _block(obj, "users", _USERS, path)
    kwargs: dict[str, Any] = dict(params)
    kwargs.update({attr: get_field(sites, key, f"{path}: sites") for key, attr in _SITES.items()})
    kwargs.update({attr: get_field(users, key, f"{path}: users") for key, attr in _USERS.items()})
    kwargs["shift_steps"] = get_field(obj, "shift_steps", str(path))
    with naming_the_file(path):
        return MultiInstance(name=name, provenance=prov, **kwargs)


def solution_from_dict(body: dict[str, Any], path: str | Path) -> MultiSolution:
    """A multi decision from a solution body: ``site`` (-1 = denied) and ``split_points``."""
    return MultiSolution(numbers(body, "site", path, indices=True),
                         numbers(body, "split_points", path))
