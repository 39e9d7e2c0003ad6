"""Medians and 90th percentiles of durations in bounded memory.

A report over a million leads cannot keep every time in state, so each
`Durations` is a histogram of whole seconds (the log's times are to the
second) that keeps at most `MAX_BUCKETS` buckets. It starts fine: every
duration under 68 minutes has a bucket of its own, and a longer one shares
its bucket only with values within 1/2048 of it. Each bucket keeps its
count and the sum of its values and stands for their mean, so a quantile is
exact while the values it falls between sit alone in their buckets, as in
any small history. When a new bucket would pass the limit, the resolution
halves (neighbouring buckets merge) until it fits: durations below 2^bits
seconds stay exact and longer ones share buckets 1/2^(bits-1) of their
value wide. Spread from minutes to weeks, a million durations end at about
8 significant bits: a quantile is then within a bucket's width, under 1%,
and nearer in practice, as a bucket stands for the mean of its values.

Quantiles interpolate between the two nearest ranks, as spreadsheets'
PERCENTILE.INC does: the median of an even count is the mean of the middle two.
"""

from __future__ import annotations

MAX_BUCKETS = 2048
_START_BITS = 12  # exact below 2^12 seconds (68 minutes), then 1/2048 of the value


def bucket_of(seconds: int, bits: int) -> int:
    """The bucket of a duration at a resolution of `bits` significant bits;
    buckets sort as the durations do, and each lies inside one bucket of
    `bits - 1`."""
    if seconds < 1 << bits:
        return seconds
    shift = seconds.bit_length() - bits
    half = 1 << (bits - 1)
    # the top `bits` bits (half .. 2*half-1) within the octave, octaves one after another
    return (1 << bits) + (shift - 1) * half + (seconds >> shift) - half


class Durations:
    """A bounded summary of durations in seconds."""

    __slots__ = ("bits", "counts", "exact_below", "sums", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.sums: dict[int, int] = {}
        self.total = 0
        self.bits = _START_BITS
        self.exact_below = 1 << _START_BITS

    def add(self, seconds: int) -> None:
        if seconds < 0:
            seconds = 0  # a back-filled event earlier than the one before it: no negative time
        if seconds < self.exact_below:
            key = seconds
        else:  # bucket_of, inline: this runs for most stays of a big log
            bits = self.bits
            shift = seconds.bit_length() - bits
            key = (1 << bits) + (shift - 1) * (1 << (bits - 1)) + (seconds >> shift) - (1 << (bits - 1))
        counts = self.counts
        if key in counts:
            counts[key] += 1
            self.sums[key] += seconds
            self.total += 1
            return
        if len(counts) >= MAX_BUCKETS:
            self._coarsen()
            self.add(seconds)
            return
        counts[key] = 1
        self.sums[key] = seconds
        self.total += 1

    def _coarsen(self) -> None:
        """Halve the resolution until the buckets are at most half the limit."""
        while len(self.counts) > MAX_BUCKETS // 2 and self.bits > 2:
            self.bits -= 1
            self.exact_below = 1 << self.bits
            counts: dict[int, int] = {}
            sums: dict[int, int] = {}
            for key, count in self.counts.items():
                total = self.sums[key]
                merged = bucket_of(total // count, self.bits)  # the mean lies in the bucket, as all its values
                counts[merged] = counts.get(merged, 0) + count
                sums[merged] = sums.get(merged, 0) + total
            self.counts, self.sums = counts, sums

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
