"""A run's counts (SPEC R20): every candidate ends up in exactly one bucket, so
total = added + updated + unchanged + skipped + awaiting must equal the number of candidates seen.

``awaiting`` holds contacts sent to a double opt-in list: Campaigns emailed them a confirmation
and they join only after confirming (never counted as added). Its JSON key is
``awaiting_confirmation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

_BUCKETS = ("added", "updated", "unchanged", "skipped", "awaiting")
# The name each bucket has in as_dict/JSON (the attribute name otherwise).
_KEYS = {"awaiting": "awaiting_confirmation"}


@dataclass
class RunCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    awaiting: int = 0  # awaiting confirmation (double opt-in)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Run count {f.name} must be a whole number ≥ 0, got {value!r}.")

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + self.skipped + self.awaiting

    def reconciles(self, total_candidates: int) -> bool:
        return self.total == total_candidates

    def __add__(self, other: RunCounts) -> RunCounts:
        if not isinstance(other, RunCounts):
            return NotImplemented
        return RunCounts(*(getattr(self, b) + getattr(other, b) for b in _BUCKETS))

    def as_dict(self) -> dict[str, int]:
        """The five buckets and the total (derived, kept for readers such as JSON).

        ``awaiting`` is named ``awaiting_confirmation`` here.
        """
        return {**{_KEYS.get(b, b): getattr(self, b) for b in _BUCKETS}, "total": self.total}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunCounts:
        """Missing buckets count 0; ``awaiting_confirmation`` or ``awaiting`` is accepted; a
        ``total`` that disagrees with the buckets is refused."""

        def value(bucket: str) -> int:
            key = _KEYS.get(bucket)
            raw = data.get(key) if key and data.get(key) is not None else data.get(bucket)
            return int(raw or 0)

        try:
            counts = cls(**{b: value(b) for b in _BUCKETS})
            total = None if data.get("total") is None else int(data["total"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Run counts are not valid: {exc}") from None
        if total is not None and total != counts.total:
            raise ValueError(
                f"Run counts do not add up: total {data['total']} but "
                f"added + updated + unchanged + skipped + awaiting confirmation = {counts.total}."
            )
        return counts
