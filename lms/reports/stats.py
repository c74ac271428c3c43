"""Statistics from sums: what SQL aggregates give (n, Σx, Σx², Σxy) turned into figures.

Every report query returns sums, never raw rows; these functions finish the arithmetic in
Python. Each returns None when the figure is undefined (too few values, no variance), and
templates show None as "—", so a one-respondent cohort or an item everyone got right never
divides by zero.

The 95 % confidence interval of a mean uses Student's t distribution. Its critical value is
computed without SciPy: the t distribution's CDF is written through the regularised incomplete
beta function, ``P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2)``, evaluated with the Lentz continued
fraction (Numerical Recipes §6.4), and the quantile is found by bisection to 1e-10. The result
matches printed t tables to every printed digit (t₀.₉₇₅ = 12.706 for 1 degree of freedom,
2.571 for 5, 2.042 for 30, 1.984 for 100); tests/test_reports_stats.py checks those values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

#: a variance this small relative to the squared mean is rounding noise, i.e. zero
_RELATIVE_EPSILON = 1e-12


def _is_zero_variance(var: float, scale: float) -> bool:
    return var <= _RELATIVE_EPSILON * max(1.0, scale * scale)


def mean(n: int, s1: float | None) -> float | None:
    """Σx / n, or None for no values."""
    if not n or s1 is None:
        return None
    return s1 / n


def variance(n: int, s1: float | None, s2: float | None) -> float | None:
    """The sample variance (n − 1 in the denominator) from n, Σx and Σx²; None when n < 2."""
    if n is None or n < 2 or s1 is None or s2 is None:
        return None
    var = (s2 - s1 * s1 / n) / (n - 1)
    return 0.0 if _is_zero_variance(var, s1 / n) else var


def std_dev(n: int, s1: float | None, s2: float | None) -> float | None:
    var = variance(n, s1, s2)
    return None if var is None else math.sqrt(var)


def covariance(n: int, sx: float, sy: float, sxy: float) -> float | None:
    """The sample covariance from n, Σx, Σy and Σxy; None when n < 2."""
    if n is None or n < 2:
        return None
    return (sxy - sx * sy / n) / (n - 1)


def correlation(n: int, sx: float, sy: float, sx2: float, sy2: float, sxy: float) -> float | None:
    """Pearson's r from sums; None when either variable has no variance (or n < 2)."""
    vx, vy = variance(n, sx, sx2), variance(n, sy, sy2)
    if not vx or not vy:
        return None
    r = covariance(n, sx, sy, sxy) / math.sqrt(vx * vy)
    return max(-1.0, min(1.0, r))


# -- Student's t --------------------------------------------------------------------------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function, for 0 ≤ x ≤ 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_two_tailed_p(t: float, df: float) -> float:
    """P(|T| > t) for Student's t with ``df`` degrees of freedom."""
    return regularized_beta(df / 2.0, 0.5, df / (df + t * t))


@lru_cache(maxsize=512)
def t_critical(df: int, confidence: float = 0.95) -> float:
    """The two-sided critical value t such that P(|T| ≤ t) = ``confidence``.

    Found by bisection on the exact CDF (see the module docstring); 1.96 in the limit.
    """
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    alpha = 1.0 - confidence
    lo, hi = 0.0, 1.0
    while t_two_tailed_p(hi, df) > alpha:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_two_tailed_p(mid, df) > alpha:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-10:
            break
    return (lo + hi) / 2.0


@dataclass(frozen=True)
class MeanCI:
    """A mean with its n, standard deviation and 95 % confidence interval (None if undefined)."""

    n: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None


def mean_ci(n: int, s1: float | None, s2: float | None, confidence: float = 0.95) -> MeanCI:
    """Mean ± t(n−1) · s / √n from n, Σx and Σx²; the interval needs n ≥ 2."""
    n = n or 0
    m = mean(n, s1)
    sd = std_dev(n, s1, s2)
    if m is None or sd is None:
        return MeanCI(n, m, sd, None, None)
    half = t_critical(n - 1, confidence) * sd / math.sqrt(n)
    return MeanCI(n, m, sd, m - half, m + half)


# -- Learning and reaction figures ---------------------------------------------------------


def normalized_gain(pre: float | None, post: float | None, maximum: float = 1.0) -> float | None:
    """Hake's normalised gain (post − pre) / (max − pre); None when pre is already the max."""
    if pre is None or post is None or maximum - pre <= 0:
        return None
    return (post - pre) / (maximum - pre)


@dataclass(frozen=True)
class NPS:
    """The would-recommend score from a 0-10 item: % promoters (9-10) − % detractors (0-6)."""

    n: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        if not self.n:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.n

    def share(self, count: int) -> float | None:
        return 100.0 * count / self.n if self.n else None


def nps(n: int, promoters: int, detractors: int) -> NPS:
    n, promoters, detractors = n or 0, promoters or 0, detractors or 0
    return NPS(n, promoters, n - promoters - detractors, detractors)


def cronbach_alpha(k: int, item_variances: list[float | None], total_variance: float | None):
    """α = k/(k−1) · (1 − Σ s²ᵢ / s²_total); None for fewer than 2 items or no total variance."""
    if k < 2 or not total_variance or any(v is None for v in item_variances):
        return None
    return k / (k - 1) * (1.0 - sum(item_variances) / total_variance)


def percent(part: float | None, whole: float | None) -> float | None:
    """100 · part / whole, or None when the whole is zero or missing."""
    if part is None or not whole:
        return None
    return 100.0 * part / whole


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float | None, float | None]:
    """The Wilson score 95 % interval of a proportion (sensible even for 0 or n successes)."""
    if not n:
        return None, None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)
