"""Medians and 90th percentiles of durations in bounded memory.

A report over a million leads cannot keep every time in state, so each
`Durations` keeps a histogram of whole seconds (the log's times are to the
second): every duration under 2,048 seconds (34 minutes) has a bucket of
its own, and longer ones share buckets 11 significant bits wide, so a
bucket is at most 1/1024 of its value wide (8 seconds at 4 hours, 17
minutes at 14 days). A bucket keeps its count and the sum of its values,
and stands for their mean: a quantile is exact whenever the values it falls
between sit alone in their buckets, as in any small history, and otherwise
off by less than a bucket's width (0.1%). The buckets are bounded (about
20,000 for durations up to ten years) however many values arrive.

Quantiles interpolate between the two nearest ranks, as spreadsheets'
PERCENTILE.INC does: the median of an even count is the mean of the middle two.
"""

from __future__ import annotations

# Durations below this many seconds are kept exactly.
EXACT_BELOW = 2048
_SIGNIFICANT_BITS = 11


def bucket_of(seconds: int) -> int:
    """The bucket of a duration; buckets sort as the durations do."""
    if seconds < EXACT_BELOW:
        return seconds
    shift = seconds.bit_length() - _SIGNIFICANT_BITS
    # the top 11 bits (1024..2047) within the octave, octaves one after another
    return EXACT_BELOW + (shift - 1) * 1024 + (seconds >> shift) - 1024


class Durations:
    """A bounded summary of durations in seconds."""

    __slots__ = ("counts", "sums", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.sums: dict[int, int] = {}
        self.total = 0

    def add(self, seconds: int) -> None:
        if seconds < 0:
            seconds = 0  # a back-filled event earlier than the one before it: no negative time
        key = seconds if seconds < EXACT_BELOW else bucket_of(seconds)
        counts = self.counts
        if key in counts:
            counts[key] += 1
            self.sums[key] += seconds
        else:
            counts[key] = 1
            self.sums[key] = seconds
        self.total += 1

    def quantile(self, q: float) -> float | None:
        """The q-quantile in seconds (None when empty)."""
        if not self.total:
            return None
        rank = (self.total - 1) * q
        low = int(rank)
        below, above = self._value_at(low), self._value_at(min(low + 1, self.total - 1))
        return below + (above - below) * (rank - low)

    def _value_at(self, index: int) -> float:
        seen = 0
        for key in sorted(self.counts):
            seen += self.counts[key]
            if index < seen:
                return self.sums[key] / self.counts[key]
        raise IndexError(index)  # pragma: no cover - index < total always

    def hours(self, q: float) -> float | None:
        """The q-quantile in hours, rounded to 2 decimals, as reports show it."""
        value = self.quantile(q)
        return None if value is None else round(value / 3600, 2)
