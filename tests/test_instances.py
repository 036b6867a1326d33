"""Validation: every bad input is rejected with a message naming the field."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hand_instance

from gqap.errors import ValidationError
from gqap.instances import GQAPInstance


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
