"""Inter-rater reliability, written out from the textbook definitions (no statistics package).

Cohen's kappa (Cohen 1960) for two raters, Fleiss' kappa (Fleiss 1971) for any fixed number of
raters, Krippendorff's alpha with the interval metric (Krippendorff, "Content Analysis", 2004,
ch. 11), which allows missing values; and the spread of a set of scores. A statistic that is
undefined (no items, or every rating in one category so that chance agreement is 1) is None.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


def observed_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """The share of items two raters put in the same category."""
    _same_length(a, b)
    return sum(x == y for x, y in zip(a, b)) / len(a) if a else None


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """(p_o - p_e) / (1 - p_e): p_o the share of items rated alike, p_e the agreement expected from
    each rater's own category shares, sum over categories of share_a(k) * share_b(k)."""
    _same_length(a, b)
    n = len(a)
    if n == 0:
        return None
    p_o = sum(x == y for x, y in zip(a, b)) / n
    count_a, count_b = Counter(a), Counter(b)
    p_e = sum(count_a[k] * count_b[k] for k in count_a.keys() | count_b.keys()) / (n * n)
    if p_e >= 1.0:
        return None
    return (p_o - p_e) / (1.0 - p_e)


def fleiss_kappa(items: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa: `items` holds each item's ratings, the same number n >= 2 of raters for each.

    P_i = (sum_k n_ik^2 - n) / (n (n - 1)) is item i's agreement among pairs of raters; P = mean P_i;
    p_k = (sum_i n_ik) / (N n) is category k's share of all ratings; P_e = sum_k p_k^2;
    kappa = (P - P_e) / (1 - P_e).
    """
    if not items:
        return None
    n = len(items[0])
    if n < 2 or any(len(item) != n for item in items):
        raise ValueError("Fleiss' kappa needs the same number (two or more) of ratings for every item")
    totals: Counter = Counter()
    agreement = 0.0
    for item in items:
        counts = Counter(item)
        totals.update(counts)
        agreement += (sum(c * c for c in counts.values()) - n) / (n * (n - 1))
    p_bar = agreement / len(items)
    p_e = sum((c / (len(items) * n)) ** 2 for c in totals.values())
    if p_e >= 1.0:
        return None
    return (p_bar - p_e) / (1.0 - p_e)


def krippendorff_alpha_interval(units: Sequence[Sequence[float | None]]) -> float | None:
    """Krippendorff's alpha, interval metric (difference squared); None marks a missing value.

    Only units with two or more values are pairable; n is the number of pairable values.
    D_o = (1/n) * sum_u [ sum over ordered pairs i != j in u of (v_i - v_j)^2 ] / (m_u - 1),
    D_e = sum over ordered pairs i != j of all pairable values of (v_i - v_j)^2 / (n (n - 1)),
    alpha = 1 - D_o / D_e.
    """
    pairable = [[float(v) for v in unit if v is not None] for unit in units]
    pairable = [values for values in pairable if len(values) >= 2]
    n = sum(len(values) for values in pairable)
    if n < 2:
        return None
    observed = sum(_ordered_pair_squares(values) / (len(values) - 1) for values in pairable) / n
    expected = _ordered_pair_squares([v for values in pairable for v in values]) / (n * (n - 1))
    if expected == 0.0:
        return None
    return 1.0 - observed / expected


def _ordered_pair_squares(values: Sequence[float]) -> float:
    """sum over ordered pairs i != j of (v_i - v_j)^2 = 2 (m sum v^2 - (sum v)^2)."""
    m = len(values)
    total = math.fsum(values)
    return max(0.0, 2.0 * (m * math.fsum(v * v for v in values) - total * total))


@dataclass(frozen=True)
class Spread:
    """How far a set of scores lies apart: min, max, their range, the mean and the sample sd."""

    count: int
    low: float | None
    high: float | None
    mean: float | None
    sd: float | None  # sample standard deviation (n - 1); None with fewer than two scores

    @property
    def range(self) -> float | None:
        return None if self.low is None or self.high is None else self.high - self.low


def spread(values: Sequence[float]) -> Spread:
    values = [float(v) for v in values]
    if not values:
        return Spread(0, None, None, None, None)
    mean = math.fsum(values) / len(values)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else None
    return Spread(len(values), min(values), max(values), mean, sd)


def _same_length(a: Sequence, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(f"two raters rated {len(a)} and {len(b)} items: they must rate the same items")
