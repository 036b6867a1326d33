"""The offloading family's file format ``gqap-bench/offloading`` (docs/FORMATS.md): the
scalar parameters with the edge fit under ``params``, one array per user field under
``users``; seconds, bits and hertz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.errors import FormatError
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.schema import (
    get_field,
    instance_header,
    instance_object,
    known_fields,
    naming_the_file,
    numbers,
    object_field,
)

FORMAT_OFFLOADING = "gqap-bench/offloading"
_PARAMS = ("N", "N_hat", "a_F", "b_F", "K", "W_max_hz", "eta", "s_p_bits", "s_m_bits", "G",
           "B_max", "convention")


def offloading_to_dict(inst: OffloadingInstance) -> dict[str, Any]:
    """The JSON object of an offloading instance (schema version 1)."""
    return instance_object(FORMAT_OFFLOADING, inst, params=inst.params(), users={
        "k_s": inst.k_user.tolist(), "h_s": inst.h_user.tolist(),
        "alpha": inst.alpha.tolist(), "request_time_s": inst.request_time.tolist()})


def offloading_from_dict(obj: dict[str, Any],
                         path: str | Path = "<instance>") -> OffloadingInstance:
    """Build and validate an offloading instance from its JSON object."""
    name, prov = instance_header(obj, FORMAT_OFFLOADING, ("params", "users"), path)
    with naming_the_file(path):
        params = dict(object_field(obj, "params", path))
        users = object_field(obj, "users", path)
        edge = params.pop("edge", None)
        if not isinstance(edge, dict):
            raise FormatError(f"{path}: params.edge must be an object with k_s and h_s")
        known_fields(params, _PARAMS, "params.", path)
        known_fields(users, ("k_s", "h_s", "alpha", "request_time_s"), "users.", path)
        known_fields(edge, ("k_s", "h_s"), "params.edge.", path)
        return OffloadingInstance(
            k_user=get_field(users, "k_s", f"{path}: users"),
            h_user=get_field(users, "h_s", f"{path}: users"),
            alpha=get_field(users, "alpha", f"{path}: users"),
            request_time=get_field(users, "request_time_s", f"{path}: users"),
            k_edge=get_field(edge, "k_s", f"{path}: params.edge"),
            h_edge=get_field(edge, "h_s", f"{path}: params.edge"),
            name=name, provenance=prov, **params)


def solution_from_dict(body: dict[str, Any], path: str | Path) -> OffloadingSolution:
    """An offloading decision from a solution body: ``grant`` and ``split_points``."""
    return OffloadingSolution(numbers(body, "grant", path, booleans=True),
                              numbers(body, "split_points", path))
