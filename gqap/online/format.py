"""The online family's files (docs/ONLINE.md, "File formats"; docs/FORMATS.md).

Scenario, ``gqap-bench/online``: ``params`` as in the paper's family plus the pool's
``decision_budget_s``, ``arrivals`` (the profile, its parameters and the seed) and
``periods``, one entry per period with its ``users`` (k_s, h_s, alpha, request_time_s).
Decision log, ``gqap-bench/online-solution``: ``periods``, one entry per period with
``gpus``, ``granted`` and ``split_points``, the ``policy`` and its ``decision_times_s``,
and the scenario's name and content hash, so a log is never scored against another
scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.errors import FormatError, ValidationError
from gqap.io import (
    SCHEMA_VERSION,
    check_header,
    dumps,
    get_field,
    json_kind,
    provenance_block,
    provenance_from_block,
    read_json,
    write_text_atomic,
)
from gqap.online.instance import ArrivalProfile, OnlineHeader, OnlineInstance, from_periods
from gqap.online.solution import OnlineSolution, PeriodDecision

FORMAT_ONLINE = "gqap-bench/online"
FORMAT_ONLINE_SOLUTION = "gqap-bench/online-solution"
_PARAMS = ("N", "N_hat", "a_F", "b_F", "K", "W_max_hz", "eta", "s_p_bits", "s_m_bits", "G",
           "B_max", "convention", "decision_budget_s", "edge")
_ARRIVALS = {"profile": "kind", "rate": "rate", "amplitude": "amplitude", "cycle": "cycle",
             "start": "start", "width": "width", "multiplier": "multiplier",
             "b_hat": "b_hat", "kappa": "kappa"}


def _known(obj: dict[str, Any], names: Any, where: str, path: str | Path) -> None:
    unknown = sorted(set(obj) - set(names))
    if unknown:
        raise FormatError(f"{path}: unknown field {where}{unknown[0]}")


def _table(obj: dict[str, Any], key: str, path: str | Path, where: str = "") -> dict[str, Any]:
    value = get_field(obj, key, f"{path}: {where.rstrip('.')}" if where else str(path))
    if not isinstance(value, dict):
        raise FormatError(f"{path}: {where}{key} must be an object, got {json_kind(value)}")
    return value


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
    _known(obj, {"format", "version", "name", "generator", "params", "arrivals", "periods"},
           "", path)
    name = obj.get("name") or Path(str(path)).stem
    if not isinstance(name, str):
        raise FormatError(f"{path}: name must be a string, got {json_kind(name)}")
    params = dict(_table(obj, "params", path))
    _known(params, _PARAMS, "params.", path)
    edge = _table(params, "edge", path, "params.")
    _known(edge, {"k_s", "h_s"}, "params.edge.", path)
    params.pop("edge")
    arrivals = _table(obj, "arrivals", path)
    _known(arrivals, {*_ARRIVALS, "seed"}, "arrivals.", path)
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


def write_online(inst: OnlineInstance, path: str | Path) -> Path:
    """Write a scenario as JSON (atomic)."""
    return write_text_atomic(path, dumps(online_to_dict(inst)))


def read_online(path: str | Path) -> OnlineInstance:
    """Read a scenario file."""
    return online_from_dict(read_json(path, "JSON object (a scenario)"), path)


# ---------------------------------------------------------------------------------------
# decision logs
# ---------------------------------------------------------------------------------------
def online_solution_to_dict(sol: OnlineSolution, inst: OnlineInstance | None = None,
                            **extra: Any) -> dict[str, Any]:
    """The JSON object of a decision log; ``extra`` adds fields such as the status."""
    obj: dict[str, Any] = {"format": FORMAT_ONLINE_SOLUTION, "version": SCHEMA_VERSION}
    if inst is not None:
        obj["scenario"] = inst.name
        obj["scenario_hash"] = inst.content_hash()
    obj.update(extra)
    obj.update(sol.to_dict())
    return obj


def online_solution_from_dict(obj: dict[str, Any],
                              path: str | Path = "<log>") -> OnlineSolution:
    """A decision log from its JSON object (a log file's, or the ``solution`` of a
    ``gqap solve --json`` result)."""
    body = obj.get("solution", obj) if "periods" not in obj else obj
    if body is None:
        raise FormatError(f"{path}: holds no decision log (the solver's status was "
                          f"{obj.get('status')!r})")
    if obj.get("format") not in (None, FORMAT_ONLINE_SOLUTION):
        raise FormatError(f"{path}: format is {obj.get('format')!r}, expected "
                          f"{FORMAT_ONLINE_SOLUTION!r}")
    if "format" in obj:
        check_header(obj, FORMAT_ONLINE_SOLUTION, path)
    if not isinstance(body, dict):
        raise FormatError(f"{path}: 'solution' must be an object, got {json_kind(body)}")
    periods = get_field(body, "periods", str(path))
    if not isinstance(periods, list):
        raise FormatError(f"{path}: periods must be an array, got {json_kind(periods)}")
    decisions = []
    for t, d in enumerate(periods):
        if not isinstance(d, dict):
            raise FormatError(f"{path}: periods[{t}] must be an object")
        _known(d, {"gpus", "granted", "split_points"}, f"periods[{t}].", path)
        gpus = get_field(d, "gpus", f"{path}: periods[{t}]")
        granted = get_field(d, "granted", f"{path}: periods[{t}]")
        split = get_field(d, "split_points", f"{path}: periods[{t}]")
        if not isinstance(granted, list) or not isinstance(split, list):
            raise FormatError(f"{path}: periods[{t}]: granted and split_points must be arrays")
        if any(not isinstance(v, bool | int) or v not in (0, 1) for v in granted):
            raise FormatError(f"{path}: periods[{t}].granted: values must be true or false")
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in split):
            raise FormatError(f"{path}: periods[{t}].split_points: values must be numbers")
        try:
            decisions.append(PeriodDecision(gpus, granted, split))
        except ValidationError as exc:
            raise ValidationError(f"{path}: periods[{t}].{exc}") from None
    policy = body.get("policy", "")
    times = body.get("decision_times_s")
    try:
        return OnlineSolution(tuple(decisions), policy if isinstance(policy, str) else "",
                              times)
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from None


def read_online_solution(path: str | Path,
                         inst: OnlineInstance | None = None) -> OnlineSolution:
    """Read a decision log; with ``inst``, refuse a log written for another scenario."""
    obj = read_json(path, "JSON object (a decision log)")
    sol = online_solution_from_dict(obj, path)
    recorded = obj.get("scenario_hash", obj.get("instance_hash"))
    if inst is not None and recorded is not None and recorded != inst.content_hash():
        raise ValidationError(
            f"{path}: written for the scenario with hash {recorded}, but "
            f"{inst.name or 'this scenario'} has hash {inst.content_hash()}")
    return sol


def write_online_solution(sol: OnlineSolution, path: str | Path,
                          inst: OnlineInstance | None = None, **extra: Any) -> Path:
    """Write a decision log (atomic)."""
    return write_text_atomic(path, dumps(online_solution_to_dict(sol, inst, **extra)))
