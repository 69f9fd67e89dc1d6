"""Run counts: total = added + updated + unchanged + skipped + awaiting, always."""

from __future__ import annotations

import pytest

from desktop_app.domain.counts import RunCounts


def test_total_and_reconcile():
    counts = RunCounts(added=5, updated=3, unchanged=10, skipped=2)
    assert counts.total == 20
    assert counts.reconciles(20)
    assert not counts.reconciles(19)
    assert not counts.reconciles(21)
    assert RunCounts().total == 0 and RunCounts().reconciles(0)


def test_counts_grow_as_the_engine_counts():
    counts = RunCounts()
    counts.added += 2
    counts.skipped += 1
    assert counts.total == 3


def test_add_sums_bucket_by_bucket_and_leaves_operands_alone():
    a = RunCounts(1, 2, 3, 4)
    b = RunCounts(10, 20, 30, 40)
    assert a + b == RunCounts(11, 22, 33, 44)
    assert (a + b).total == a.total + b.total
    assert a == RunCounts(1, 2, 3, 4)
    assert sum([a, b], RunCounts()) == RunCounts(11, 22, 33, 44)
    with pytest.raises(TypeError):
        a + 1  # type: ignore[operator]


def test_dict_round_trip():
    counts = RunCounts(added=1, updated=2, unchanged=3, skipped=4)
    assert counts.as_dict() == {"added": 1, "updated": 2, "unchanged": 3, "skipped": 4,
                                "awaiting_confirmation": 0, "total": 10}
    assert RunCounts.from_dict(counts.as_dict()) == counts


def test_awaiting_confirmation_is_a_fifth_bucket_in_the_total():
    counts = RunCounts(added=1, skipped=1, awaiting=3)
    assert counts.total == 5 and counts.as_dict()["awaiting_confirmation"] == 3
    assert RunCounts(1, 2, 3, 4, 5) + RunCounts(awaiting=1) == RunCounts(1, 2, 3, 4, 6)
    assert RunCounts.from_dict(counts.as_dict()) == counts
    assert RunCounts.from_dict({"awaiting": 2, "total": 2}) == RunCounts(awaiting=2)
    assert RunCounts.from_dict({"awaiting_confirmation": 2}) == RunCounts(awaiting=2)
    with pytest.raises(ValueError, match="awaiting"):
        RunCounts.from_dict({"added": 1, "awaiting_confirmation": 1, "total": 1})


def test_from_dict_tolerates_missing_buckets_and_extra_keys():
    assert RunCounts.from_dict({"added": 2, "run_id": 7}) == RunCounts(added=2)
    assert RunCounts.from_dict({"skipped": None, "updated": "3"}) == RunCounts(updated=3)


@pytest.mark.parametrize(
    "data",
    [
        {"added": 1, "total": 2},
        {"added": -1},
        {"added": "many"},
        {"added": 1, "total": "x"},
    ],
)
def test_from_dict_refuses_counts_that_do_not_add_up(data):
    with pytest.raises(ValueError, match="Run counts"):
        RunCounts.from_dict(data)


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True, None])
def test_buckets_are_whole_non_negative_numbers(bad):
    with pytest.raises(ValueError):
        RunCounts(added=bad)
