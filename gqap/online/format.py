"""The online family's files (docs/ONLINE.md, "File formats"; docs/FORMATS.md).

Scenario, ``gqap-bench/online``: ``params`` as in the paper's family plus the pool's
``decision_budget_s``, ``arrivals`` (the profile, its parameters and the seed) and
``periods``, one entry per period with its ``users`` (k_s, h_s, alpha, request_time_s).
Decision log, ``gqap-bench/online-solution``: ``periods``, one entry per period with
``gpus``, ``granted`` and ``split_points``, the ``policy`` and its ``decision_times_s``;
``gqap.io`` writes the file around it with the scenario's name and content hash
(``instance``, ``instance_hash``), so a log is never scored against another scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.errors import FormatError, ValidationError
from gqap.online.instance import ArrivalProfile, OnlineHeader, OnlineInstance, from_periods
from gqap.online.solution import OnlineSolution, PeriodDecision
from gqap.schema import (
    SCHEMA_VERSION,
    check_header,
    get_field,
    json_kind,
    known_fields,
    object_field,
    provenance_block,
    provenance_from_block,
)

FORMAT_ONLINE = "gqap-bench/online"
FORMAT_ONLINE_SOLUTION = "gqap-bench/online-solution"
_PARAMS = ("N", "N_hat", "a_F", "b_F", "K", "W_max_hz", "eta", "s_p_bits", "s_m_bits", "G",
           "B_max", "convention", "decision_budget_s", "edge")
_ARRIVALS = {"profile": "kind", "rate": "rate", "amplitude": "amplitude", "cycle": "cycle",
             "start": "start", "width": "width", "multiplier": "multiplier",
             "b_hat": "b_hat", "kappa": "kappa"}


# ---------------------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------------------
def online_to_dict(inst: OnlineInstance) -> dict[str, Any]:
    """The JSON object of a scenario (schema version 1)."""
    arrivals = inst.header.arrivals.to_dict()
    seed = (inst.provenance or {}).get("seed")
    arrivals["seed"] = seed
    return {
        "format": FORMAT_ONLINE, "version": SCHEMA_VERSION, "name": inst.name,
        "generator": provenance_block(inst.provenance),
        "params": inst.header.params(),
        "arrivals": arrivals,
        "periods": [{"users": {"k_s": p.k_user.tolist(), "h_s": p.h_user.tolist(),
                               "alpha": p.alpha.tolist(),
                               "request_time_s": p.request_time.tolist()}}
                    for p in inst.periods()],
    }


def online_from_dict(obj: dict[str, Any], path: str | Path = "<scenario>") -> OnlineInstance:
    """Build and validate a scenario from its JSON object."""
    check_header(obj, FORMAT_ONLINE, path)
    known_fields(obj, {"format", "version", "name", "generator", "params", "arrivals", "periods"},
           "", path)
    name = obj.get("name") or Path(str(path)).stem
    if not isinstance(name, str):
        raise FormatError(f"{path}: name must be a string, got {json_kind(name)}")
    params = dict(object_field(obj, "params", path))
    known_fields(params, _PARAMS, "params.", path)
    edge = object_field(params, "edge", f"{path}: params")
    known_fields(edge, {"k_s", "h_s"}, "params.edge.", path)
    params.pop("edge")
    arrivals = object_field(obj, "arrivals", path)
    known_fields(arrivals, {*_ARRIVALS, "seed"}, "arrivals.", path)
    periods = get_field(obj, "periods", str(path))
    if not isinstance(periods, list):
        raise FormatError(f"{path}: periods must be an array, got {json_kind(periods)}")
    users = []
    for t, entry in enumerate(periods):
        if not isinstance(entry, dict) or set(entry) != {"users"}:
            raise FormatError(f"{path}: periods[{t}] must be an object with one field, users")
        users.append(entry["users"])
    try:
        profile = ArrivalProfile(**{attr: arrivals[key] for key, attr in _ARRIVALS.items()
                                    if key in arrivals})
        budget = params.pop("decision_budget_s", None)
        header = OnlineHeader(k_edge=get_field(edge, "k_s", f"{path}: params.edge"),
                              h_edge=get_field(edge, "h_s", f"{path}: params.edge"),
                              n_periods=len(periods), arrivals=profile, budget_s=budget,
                              **params)
        prov = provenance_from_block(obj.get("generator"))
        if prov is None and arrivals.get("seed") is not None:
            prov = {"seed": arrivals["seed"]}
        return from_periods(header, users, name=name, provenance=prov)
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from None
    except TypeError as exc:
        raise FormatError(f"{path}: {exc}") from None


# ---------------------------------------------------------------------------------------
# decision logs (the file around the body is gqap.io's, with this family's format tag)
# ---------------------------------------------------------------------------------------
def solution_from_dict(body: dict[str, Any], path: str | Path = "<log>") -> OnlineSolution:
    """A decision log from its body: ``periods`` (gpus, granted, split_points per period),
    ``policy`` and ``decision_times_s``."""
    periods = get_field(body, "periods", str(path))
    if not isinstance(periods, list):
        raise FormatError(f"{path}: periods must be an array, got {json_kind(periods)}")
    decisions = []
    for t, d in enumerate(periods):
        if not isinstance(d, dict):
            raise FormatError(f"{path}: periods[{t}] must be an object")
        known_fields(d, {"gpus", "granted", "split_points"}, f"periods[{t}].", path)
        gpus = get_field(d, "gpus", f"{path}: periods[{t}]")
        granted = get_field(d, "granted", f"{path}: periods[{t}]")
        split = get_field(d, "split_points", f"{path}: periods[{t}]")
        if not isinstance(granted, list) or not isinstance(split, list):
            raise FormatError(f"{path}: periods[{t}]: granted and split_points must be arrays")
        if any(not isinstance(v, bool | int) or v not in (0, 1) for v in granted):
            raise FormatError(f"{path}: periods[{t}].granted: values must be true or false")
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in split):
            raise FormatError(f"{path}: periods[{t}].split_points: values must be numbers")
        try:  # gqap.io names the file in front
            decisions.append(PeriodDecision(gpus, granted, split))
        except ValidationError as exc:
            raise ValidationError(f"periods[{t}].{exc}") from None
    policy = body.get("policy", "")
    if not isinstance(policy, str):
        raise FormatError(f"{path}: policy must be a string, got {json_kind(policy)}")
    return OnlineSolution(tuple(decisions), policy, body.get("decision_times_s"))
