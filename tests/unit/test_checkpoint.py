"""The run's checkpoint is one frozen record with one JSON form (stored rows of older versions read)."""

from __future__ import annotations

import dataclasses

import pytest

from desktop_app.domain.run import OptInMode, Phase
from desktop_app.domain.sync import CARRIED, Checkpoint, Stage, has_position

pytestmark = pytest.mark.unit


def test_a_write_checkpoint_round_trips_and_keeps_the_stored_shape():
    cp = Checkpoint(Stage.WRITE, page=9, written=42, pending=frozenset({"7", "3"}), done=frozenset({"1"}))
    data = cp.to_json()
    assert data == {"stage": "write", "page": 9, "written": 42, "pending": {"3": "add", "7": "add"}, "done": ["1"]}
    assert Checkpoint.from_json(data) == cp


def test_a_stored_row_with_the_store_s_own_keys_reads_as_its_position():
    row = {"stage": "read", "page": 4, "origin": {"list_key": "LK"}, CARRIED: ["9"], "failed_attempts": 2}
    cp = Checkpoint.from_json(row)
    assert (cp.stage, cp.page, cp.carried) == (Stage.READ, 4, frozenset({"9"}))
    assert cp.to_json() == {"stage": "read", "page": 4, "written": 0}  # the store keeps origin, carried and attempts
    assert Checkpoint.from_json(None) == Checkpoint()
    assert has_position(row) and not has_position({"failed_attempts": 1}) and not has_position(None)


def test_the_checkpoint_is_frozen_and_the_vocabulary_refuses_unknown_words():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Checkpoint().page = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        Checkpoint.from_json({"stage": "writing"})
    with pytest.raises(ValueError):
        OptInMode("double")
    assert Phase.WRITING.label == "Writing contacts to Zoho Campaigns" and Phase("reading") is Phase.READING
