"""Validation: every bad input is rejected with a message naming the field."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hand_instance

from gqap.classic.instance import GQAPInstance
from gqap.errors import ValidationError


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(k_user=[], h_user=[], alpha=[], request_time=[]), "at least one user, got 0"),
        (dict(alpha=[1.0, float("nan")]), r"users.alpha: contains NaN or inf"),
        (dict(k_user=[1.0, float("inf")]), r"users.k_s: contains NaN or inf"),
        (dict(alpha=[1.0, -2.0]), r"users.alpha: must be >= 0"),
        (dict(h_user=[1.0, 0.0, 3.0]), r"users.h_s: expected shape \(2,\)"),
        (dict(N_hat=11), r"N_hat: must be <= N \(10\), got 11"),
        (dict(B_max=-1), r"B_max: must be >= 0, got -1"),
        (dict(G=0), r"G: must be >= 1, got 0"),
        (dict(G=2.5), r"G: must be an integer"),
        (dict(convention="mine"), r"convention: must be one of paper, authors-scripts"),
        (dict(h_user=[-1.0, 0.0]), r"local step latency .* user 0 .* must be > 0"),
        (dict(request_time=[0.25, 1.5]), r"user 1 requests at 1.5 s, after the period"),
        (dict(eta=0.0), r"eta: must be > 0"),
        (dict(k_edge=float("nan")), r"edge.k_s: must be finite"),
    ],
)
def test_offloading_validation(changes, message):
    with pytest.raises(ValidationError, match=message):
        hand_instance(**changes)


def gqap_kwargs(**changes):
    kw = dict(q=[1, 2], Q=[2, 2], a=np.zeros((2, 2)), t=np.zeros((2, 2)), d=np.zeros((2, 2)))
    kw.update(changes)
    return kw


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(q=[1, -2]), r"q: must be >= 0"),
        (dict(Q=[2, float("nan")]), r"Q: contains NaN"),
        (dict(a=np.zeros((2, 3))), r"a: expected shape \(2, 2\), got \(2, 3\)"),
        (dict(t=np.zeros((3, 3))), r"t: expected shape \(2, 2\)"),
        (dict(Q=[1, 1]), r"total capacity 2 is below total weight 3"),
        (dict(q=[3, 0], Q=[2, 2]), r"facility 0 weighs 3, more than the largest capacity 2"),
        (dict(q=[]), r"q: expected a non-empty 1-D array"),
        (dict(v="x"), r"v: not a number"),
    ],
)
def test_gqap_validation(changes, message):
    with pytest.raises(ValidationError, match=message):
        GQAPInstance(**gqap_kwargs(**changes))


def test_instances_are_immutable():
    inst = hand_instance()
    with pytest.raises(ValueError, match="read-only"):
        inst.alpha[0] = 5.0
    with pytest.raises(AttributeError):
        inst.G = 4  # type: ignore[misc]


def test_input_arrays_are_copied():
    alpha = np.array([2.0, 3.0])
    inst = hand_instance(alpha=alpha)
    alpha[0] = 99.0
    assert inst.alpha[0] == 2.0


def test_content_hash_ignores_name_and_tracks_data():
    a, b = hand_instance(name="x"), hand_instance(name="y")
    assert a.content_hash() == b.content_hash()
    assert hand_instance(G=3).content_hash() != a.content_hash()
    assert a.replace(G=3).content_hash() == hand_instance(G=3).content_hash()


# ---------------------------------------------------------------------------------------
# numeric bounds (docs/FORMATS.md "Numeric bounds"): nothing that can overflow gets in
# ---------------------------------------------------------------------------------------
def multi_kwargs(**changes):
    kw = dict(k_site=[1.0, 2.0], h_site=[0.5, 0.0], G=[2, 1], B_max=[2, 1], W_hz=[1.0, 2.0],
              k_user=[1.0, 2.0], h_user=[1.0, 0.0], alpha=[2.0, 3.0],
              request_time=[0.25, 0.5], shift_steps=[[0.0, 1.0], [2.0, 0.0]], N=10, N_hat=4,
              a_F=1.0, b_F=0.0, K=1.0, eta=1.0, s_p_bits=0.5, s_m_bits=1.5)
    kw.update(changes)
    return kw


HUGE, TINY = 1e308, 5e-324
OFFLOADING_FIELDS = [  # (keyword, field name in messages, value builder)
    ("alpha", "users.alpha", lambda x: [2.0, x]),
    ("k_user", "users.k_s", lambda x: [1.0, x]),
    ("h_user", "users.h_s", lambda x: [1.0, x]),
    ("k_edge", "edge.k_s", lambda x: x),
    ("h_edge", "edge.h_s", lambda x: x),
    ("W_max_hz", "W_max_hz", lambda x: x),
    ("eta", "eta", lambda x: x),
    ("s_p_bits", "s_p_bits", lambda x: x),
    ("s_m_bits", "s_m_bits", lambda x: x),
    ("a_F", "a_F", lambda x: x),
    ("b_F", "b_F", lambda x: x),
    ("K", "K", lambda x: x),
]
GQAP_FIELDS = [
    ("q", "q", lambda x: [1.0, x]), ("Q", "Q", lambda x: [2.0, x]),
    ("a", "a", lambda x: [[0.0, x], [0.0, 0.0]]), ("t", "t", lambda x: [[0.0, x], [x, 0.0]]),
    ("d", "d", lambda x: [[0.0, x], [x, 0.0]]), ("v", "v", lambda x: x),
]
MULTI_FIELDS = [
    ("k_site", "sites.k_s", lambda x: [1.0, x]), ("h_site", "sites.h_s", lambda x: [0.5, x]),
    ("W_hz", "sites.W_hz", lambda x: [1.0, x]), ("alpha", "users.alpha", lambda x: [2.0, x]),
    ("k_user", "users.k_s", lambda x: [1.0, x]),
    ("shift_steps", "shift_steps", lambda x: [[0.0, x], [2.0, 0.0]]),
    ("eta", "eta", lambda x: x), ("s_m_bits", "s_m_bits", lambda x: x),
]


def build(family, **changes):
    if family == "offloading":
        return hand_instance(**changes)
    if family == "gqap":
        return GQAPInstance(**gqap_kwargs(**changes))
    from gqap.multi import MultiInstance

    return MultiInstance(**multi_kwargs(**changes))


CASES = ([("offloading", *f) for f in OFFLOADING_FIELDS] + [("gqap", *f) for f in GQAP_FIELDS]
         + [("multi", *f) for f in MULTI_FIELDS])


@pytest.mark.parametrize(("family", "key", "field", "value"), CASES)
@pytest.mark.parametrize("x", [HUGE, 1.000001e30, -1e31, TINY, 1e-31])
def test_values_beyond_the_bounds_are_refused(family, key, field, value, x):
    if x < 0 and key in ("q", "Q", "alpha", "k_user", "k_edge", "k_site", "W_hz",
                         "shift_steps", "eta", "s_p_bits", "s_m_bits", "a_F", "K", "W_max_hz"):
        x = -x  # a negative value is refused by the sign rule; test the bound itself
    side = "exceeds" if abs(x) > 1 else "is below"
    with pytest.raises(ValidationError, match=rf"^{field}: .* {side} the bound .*1e\+30"):
        build(family, **{key: value(x)})


@pytest.mark.parametrize(("family", "key", "high"), [
    ("offloading", "G", 10**9), ("offloading", "B_max", 10**9), ("offloading", "N", 10**6),
    ("multi", "N", 10**6)])
def test_counts_and_steps_are_bounded(family, key, high):
    build(family, **{key: high})  # the bound itself is allowed
    with pytest.raises(ValidationError, match=rf"{key}: must be <= {high:,}"):
        build(family, **{key: high + 1})
    with pytest.raises(ValidationError, match=rf"{key}: must be <= "):
        build(family, **{key: 10**400})


@pytest.mark.parametrize(("key", "value"), [("G", [2, 10**10]), ("B_max", [2, 1e19])])
def test_multi_site_counts_are_bounded(key, value):
    with pytest.raises(ValidationError, match=rf"sites.{key}: must be <= 1,000,000,000"):
        build("multi", **{key: value})


@pytest.mark.parametrize(("family", "key", "value", "message"), [
    ("offloading", "alpha", ["1", 2.0], "users.alpha: expected numbers"),
    ("offloading", "alpha", [True, False], "users.alpha: expected numbers, got booleans"),
    ("offloading", "alpha", [None, 2.0], "users.alpha: expected numbers"),
    ("offloading", "alpha", [1.0, 10**400], "users.alpha: not a numeric array"),
    ("offloading", "alpha", [[1.0], [2.0, 3.0]], "users.alpha: not a numeric array"),
    ("offloading", "K", "1.0", "K: not a number"),
    ("offloading", "eta", True, "eta: not a number"),
    ("offloading", "N", "200", "N: must be an integer"),
    ("gqap", "v", 10**400, "v: not a number"),
    ("multi", "G", ["2", 1], "sites.G: expected numbers"),
])
def test_wrong_types_are_refused(family, key, value, message):
    with pytest.raises(ValidationError, match=message):
        build(family, **{key: value})


def test_values_at_the_bounds_are_accepted():
    inst = build("offloading", alpha=[1e30, 1e-30], k_edge=1e30, eta=1e-30, W_max_hz=1e-30,
                 s_m_bits=1e30)
    assert inst.alpha[0] == 1e30 and inst.eta == 1e-30
    assert build("gqap", t=[[0.0, -1e30], [1e30, 0.0]]).t[1, 0] == 1e30
