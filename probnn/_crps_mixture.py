"""Half the Gini mean difference ``E|X - X'| / 2`` of a mixture of many continuous laws, in O(K).

``E|X - X'| / 2 = int F(x) (1 - F(x)) dx`` for X, X' independent draws of the mixture
``F = sum_k w_k F_k``: one integral over x whose integrand needs the K components' cdfs and
survival functions at each node, where the pairwise (Grimit et al.) formula needs K(K - 1)/2
cross terms, each an integral over a component's quantiles. :mod:`probnn.scoring_rules` uses
this for a mixture of more than a handful of components (a Laplace posterior's Monte Carlo
predictive has 100); see :func:`mixture_half_gini` for the rule and its accuracy. Student-t
components all of df 3 (the mixture-studentt family's default) take the pairs instead, each
``E|X_i - X_j'|`` in closed form (:func:`t3_pairs_half_gini`): K(K - 1)/2 exact terms, where
the integral took (groups x nodes x K) cdfs, every group to its finest level.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import special

from probnn.distributions import Beta, Distribution, Gamma, Laplace, LogNormal, Normal, StudentT
from probnn.distributions.studentt import standard_cdf_sf

__all__ = ["mixture_half_gini", "quadrature_half_gini", "t3_pairs_half_gini"]

# Components are grouped by their spread in buckets of a factor _BUCKET, and within a bucket by
# their median in cells _CELL bucket-spreads wide; each group takes a share of the integrand,
# falling as (distance / scale)^(-2 _POWER) away from it.
_BUCKET = 4.0
_CELL = 4.0
_MAX_BUCKET = 40
_MIN_DF = 1.5  # a heavier Student-t tail than this outruns the nodes: the pairwise formula
_POWER = 3.0  # the partition's tails: a group's share falls as distance^-6
_ROW_CHUNK = 256  # rows per block: a block's arrays are (nodes x rows), up to 1792 nodes
# Student-t components stacked per call: components x nodes x rows entries at most (512 KB
# arrays: a 300-row predictive's CPU time measured 5-20% below 8 MB ones, less page faulting)
_STACK_ENTRIES = 2**16

_POSITIVE = (Beta, Gamma, LogNormal)

# A group's nodes reach e^_REACH of its own spread (the rule's tanh-sinh levels end at u = 52),
# but far from every group each takes the share W_j / sum W of the integrand: a group
# `ratio` times narrower than the widest leaves its share of the far tails beyond e^52 of its
# spread out. A Student-t's tail beyond D spreads holds ~D^(1 - df) of the integral, so the
# loss is ~(e^52 / ratio)^(1 - df): measured (three t's, 10 components, against the pairwise
# formula) 1e-8 relative at df = 1.5 and ratio 1e6, 1e-6 at 1e10, 13% at 1e20; df = 3:
# 1e-14 at 1e15, 1e-4 at 1e20, both wrong by 2x at 1e24. Rows beyond _TAIL_LOSS (df = 1.5:
# a ratio of 380), or beyond _MAX_RATIO for lighter tails, take the pairwise formula.
_REACH = 52.0
_TAIL_LOSS = 1e-10
_MAX_RATIO = 1e12


def _flat(param, shape) -> NDArray[np.float64]:
    return np.broadcast_to(np.asarray(param, dtype=np.float64), shape).reshape(-1)


def _cdf_sf_fn(c: Distribution, shape) -> Callable | None:
    """``(x, xc, rows) -> (F(x), 1 - F(x))`` for the batch entries ``rows``, each computed from
    its own side (no ``1 - F`` cancellation in a tail); ``xc`` is ``1 - x`` where the
    coordinate gives it exactly (logit), else None."""
    kind = type(c)
    if kind in (Normal, Laplace, StudentT):
        loc, scale = _flat(c._loc, shape), _flat(c._scale, shape)
        df = _flat(c._df, shape) if kind is StudentT else None

        def symmetric(x, xc, rows):
            z = (x - loc[rows]) / scale[rows]
            if kind is Normal:
                return special.ndtr(z), special.ndtr(-z)
            if kind is StudentT:
                # the law's own cdf (not scipy's stdtr, which squares z: 0 beyond |z| ~ 1e154),
                # each side from its own tail by symmetry
                return standard_cdf_sf(df[rows], z)
            lower = 0.5 * np.exp(np.minimum(z, 0.0))
            upper = 0.5 * np.exp(-np.maximum(z, 0.0))
            return np.where(z < 0, lower, 1.0 - upper), np.where(z > 0, upper, 1.0 - lower)
        return symmetric
    if kind is Gamma:
        k, rate = _flat(c._k, shape), _flat(c._beta, shape)

        def gamma(x, xc, rows):
            with np.errstate(over="ignore", invalid="ignore"):  # x = inf beyond exp's range
                u = rate[rows] * np.maximum(x, 0.0)
            return special.gammainc(k[rows], u), special.gammaincc(k[rows], u)
        return gamma
    if kind is LogNormal:
        mu, s = _flat(c._loc, shape), _flat(c._scale, shape)

        def lognormal(x, xc, rows):
            with np.errstate(divide="ignore"):
                w = (np.log(np.maximum(x, 0.0)) - mu[rows]) / s[rows]
            return special.ndtr(w), special.ndtr(-w)
        return lognormal
    if kind is Beta:
        a, b = _flat(c._a, shape), _flat(c._b, shape)

        def beta(x, xc, rows):
            xc = 1.0 - x if xc is None else xc
            return (special.betainc(a[rows], b[rows], np.clip(x, 0.0, 1.0)),
                    special.betainc(b[rows], a[rows], np.clip(xc, 0.0, 1.0)))
        return beta
    return None


def _space(components) -> str:
    """The coordinate ``l`` the rule integrates in: logit x on [0, 1], log x on x > 0, else x."""
    if all(type(c) is Beta for c in components):
        return "logit"
    if all(type(c) in _POSITIVE for c in components):
        return "log"
    return "real"


def _to_space(q, space):
    with np.errstate(divide="ignore", invalid="ignore"):
        if space == "log":
            return np.log(q)
        if space == "logit":
            return np.log(q) - np.log1p(-q)
    return q


def _from_space(ell, space):
    """``x``, ``1 - x`` (None unless exact) and ``dx / dl`` at the coordinates ``ell``."""
    if space == "log":
        with np.errstate(over="ignore"):
            x = np.exp(ell)
        return x, None, x
    if space == "logit":
        x, xc = special.expit(ell), special.expit(-ell)
        return x, xc, x * xc
    return ell, None, np.ones_like(ell)


def mixture_half_gini(components, log_weights, batch_shape, rule) -> NDArray[np.float64] | None:
    """``E|X - X'| / 2 = int F (1 - F) dx`` of ``Mixture(components)``, batch-shaped; or None.

    The integral is taken in a coordinate ``l`` that maps the support onto the real line
    (x itself; log x for positive laws; logit x for laws on [0, 1]), with the integrand
    ``g(l) = F (1 - F) dx/dl``, ``F`` and ``1 - F`` each summed from the components' own cdfs
    and survival functions (no cancellation in a tail). The components are grouped per row
    (by spread, within a factor 4, and by median, within cells 4 spreads wide; a spread is
    half the interquartile range in ``l``, from three quantiles per component and row: the
    only quantiles taken); group ``j``, of centre ``M_j``, scale ``S_j`` (its widest spread,
    or half its range of medians) and weight ``W_j`` (its members'), takes the share
    ``pi_j = W_j phi_j / sum_i W_i phi_i`` of the integrand, ``phi_j = (S_j^2 + (l -
    M_j)^2)^-3``: close to 1 near its own components (the narrowest group where groups nest)
    and below ``(S / distance)^6`` at another group's. Each share is integrated by the
    tanh-sinh rule ``rule`` over the levels ``tau`` of ``l = M_j + S_j sinh(logit tau)``:
    nodes spaced about ``h S_j`` near the group, ``h |l - M_j| log|l - M_j|`` away from it,
    reaching ``e^52 S_j`` (a Student-t tail with df >= 1.5 is left below 1e-11). Cost:
    (groups x nodes x K) cdf evaluations per row. Accuracy measured against scipy quad of
    ``(F - 1{x >= y})^2`` and against the pairwise formula (tests/test_scoring_rules.py),
    with the rule down to h = 1/512: 1e-12 relative or better for mixtures of 20-100 Beta,
    Gamma, LogNormal and Student-t (df 1.5-5) components, unimodal or with modes far apart;
    about 1e-9 with Laplace components (the kink of their density at the mode), 3e-9 at
    worst seen.

    Student-t components all of df 3 skip the integral: :func:`t3_pairs_half_gini`, every
    pair in closed form (exact to rounding, and 10^2-10^3 times less work at K = 300).

    Returns None (the caller falls back to the pairwise formula) for a component type
    without a cdf pair here, a Student-t with df < 1.5 (its tail outruns the nodes: 2e-11
    relative measured at df = 1.5, 1e-6 at 1.3, 2e-4 at 1.2), a component whose quartiles
    are not finite and distinct in ``l``, or a row whose widest spread is more than
    :func:`_max_spread_ratio` times its narrowest (the narrow group's nodes stop short of its
    share of the far tails: 380 with a df = 1.5 component, else 1e12).
    """
    shape = tuple(batch_shape)
    if all(type(c) is StudentT and np.all(np.asarray(c._df) == 3.0) for c in components):
        return t3_pairs_half_gini(components, log_weights, shape)
    return quadrature_half_gini(components, log_weights, shape, rule)


def quadrature_half_gini(components, log_weights, batch_shape, rule):
    """:func:`mixture_half_gini`'s integral of ``F (1 - F)`` for any components it takes (the
    rule it documents; Student-t's of df 3 included, which it no longer sends here); or None."""
    shape = tuple(batch_shape)
    n = int(np.prod(shape, dtype=np.int64))
    k = len(components)
    pairs = [_cdf_sf_fn(c, shape) for c in components]
    if any(p is None for p in pairs):
        return None
    if any(type(c) is StudentT and not np.all(np.asarray(c._df) >= _MIN_DF) for c in components):
        return None
    space = _space(components)
    levels = {}
    for p in (0.25, 0.5, 0.75):
        levels[p] = np.stack([_to_space(_flat(c._icdf(np.full(shape, p)), shape), space)
                              for c in components])                       # (K, n)
    med = levels[0.5]
    spread = 0.5 * (levels[0.75] - levels[0.25])
    if not (np.all(np.isfinite(med)) and np.all(np.isfinite(spread)) and np.all(spread > 0)):
        return None
    if np.any(spread.max(axis=0) > _max_spread_ratio(components) * spread.min(axis=0)):
        return None
    w = np.exp(np.broadcast_to(log_weights, (k,) + shape).reshape(k, n))
    sums = (_stacked_t_sums(components, shape) if all(type(c) is StudentT for c in components)
            else _summed(pairs))
    out = np.empty(n)
    for start in range(0, n, _ROW_CHUNK):
        rows = slice(start, start + _ROW_CHUNK)
        out[rows] = _half_gini_rows(sums, w[:, rows], med[:, rows], spread[:, rows],
                                    space, rows, rule)
    return out.reshape(shape)


# E|X - X'| of two standard t's of df 3: 3 sqrt(3) / pi
_T3_GINI = 3.0 * np.sqrt(3.0) / np.pi
# pairs' temporaries of at most this many entries (2 MB): rows in blocks of _PAIR_ENTRIES / K
_PAIR_ENTRIES = 2**18


def t3_pairs_half_gini(components, log_weights, batch_shape) -> NDArray[np.float64]:
    """``E|X - X'| / 2 = 1/2 sum_ij w_i w_j E|X_i - X_j'|`` of Student-t components of df 3,
    each pair in closed form, batch-shaped.

    A t of df 3, location ``m`` and scale ``s`` has the characteristic function
    ``(1 + sqrt(3) s |u|) exp(-sqrt(3) s |u| + i m u)``; with ``E|Z| = (2/pi) int_0^inf (1 -
    Re phi_Z(u)) / u^2 du`` for ``Z = X_i - X_j'`` (``phi_Z = phi_i conj(phi_j)``), ``a =
    sqrt(3) s_i``, ``b = sqrt(3) s_j``, ``c = a + b`` and ``d = |m_i - m_j|`` the integral
    is elementary::

        E|X_i - X_j'| = (2/pi) [c (1 - a b / (c^2 + d^2)) + d atan(d / c)]

    (``3 sqrt(3) s / pi`` for two draws of one component; ``-> d`` as ``d -> inf``). Both
    terms are >= 0 (``a b <= c^2 / 4``): no cancellation, a few ulps a pair; the sum over
    the K^2 pairs adds K rounding errors at worst. Cost: K(K - 1)/2 pairs a row (45,000 for
    a 300-component Laplace predictive, where the integral took about 10^6 cdfs a group).

    Parameters
    ----------
    components : list of StudentT, length K
        Every ``df`` equal to 3; batch shapes broadcast to ``batch_shape``.
    log_weights : ndarray
        Log weights broadcasting to (K,) + batch_shape.
    batch_shape : tuple of int

    Returns
    -------
    ndarray of float64, shape batch_shape
    """
    shape = tuple(batch_shape)
    n = int(np.prod(shape, dtype=np.int64))
    k = len(components)
    # sqrt(3) taken out of the pairs: a, b, c in units of sqrt(3), d / sqrt(3) beside them
    loc = np.stack([_flat(c._loc, shape) for c in components]) / np.sqrt(3.0)   # (K, n)
    scale = np.stack([_flat(c._scale, shape) for c in components])
    w = np.exp(np.broadcast_to(log_weights, (k,) + shape).reshape(k, n))
    total = np.zeros(n)
    step = max(1, _PAIR_ENTRIES // k)  # rows a block: (K x rows) temporaries at most
    with np.errstate(invalid="ignore", over="ignore"):
        for start in range(0, n, step):
            rows = slice(start, start + step)
            m, s, p = loc[:, rows], scale[:, rows], w[:, rows]
            for i in range(k - 1):  # component i against every later one: K - 1 - i pairs
                a, b = s[i], s[i + 1:]
                c = a + b
                d = np.abs(m[i] - m[i + 1:])
                h = np.hypot(c, d)  # a / h and b / h: no square over- or underflows
                pair = c * (1.0 - (a / h) * (b / h)) + d * np.arctan2(d, c)
                total[rows] += p[i] * np.sum(p[i + 1:] * pair, axis=0)
        # 2 sqrt(3) / pi for the pairs i < j (each once of its two orders in the 1/2 sum)
        total *= 2.0 * np.sqrt(3.0) / np.pi
        total += 0.5 * _T3_GINI * np.sum(w * w * scale, axis=0)   # the pairs i = j
    return total.reshape(shape)


def _summed(pairs) -> Callable:
    """``(x, xc, rows, w) -> (F(x), 1 - F(x))`` of the mixture: the components' pairs
    weighted and summed one component at a time."""
    def sums(x, xc, rows, w):
        below, above = np.zeros(x.shape), np.zeros(x.shape)
        for i, pair in enumerate(pairs):
            f, s = pair(x, xc, rows)
            below += w[i] * f
            above += w[i] * s
        return below, above
    return sums


def _stacked_t_sums(components, shape) -> Callable:
    """:func:`_summed` for Student-t components only, with their cdfs taken for many
    components in one call (components x nodes x rows, up to _STACK_ENTRIES): a Laplace
    posterior's predictive pools 100 draws x K components, and one call per component paid
    numpy's overhead on a few thousand entries 300 times per node block."""
    df, loc, scale = (np.stack([_flat(getattr(c, name), shape) for c in components])
                      for name in ("_df", "_loc", "_scale"))             # (K, n) each
    k = len(components)

    def sums(x, xc, rows, w):
        below, above = np.zeros(x.shape), np.zeros(x.shape)
        step = max(1, _STACK_ENTRIES // max(x.size, 1))
        for start in range(0, k, step):
            part = slice(start, start + step)
            z = (x - loc[part, rows][:, None]) / scale[part, rows][:, None]  # (k, nodes, rows)
            d, wk = df[part, rows][:, None], w[part][:, None]
            f, s = standard_cdf_sf(d, z)
            below += np.sum(wk * f, axis=0)
            above += np.sum(wk * s, axis=0)
        return below, above
    return sums


def _max_spread_ratio(components) -> float:
    """The widest spread over the narrowest a row may hold: ``e^52 _TAIL_LOSS^(1 / (df - 1))``
    for the heaviest Student-t tail (df >= 1.5 here), at most ``_MAX_RATIO``."""
    dfs = [float(np.min(c._df)) for c in components if type(c) is StudentT]
    if not dfs:
        return _MAX_RATIO
    return float(min(_MAX_RATIO, np.exp(_REACH + np.log(_TAIL_LOSS) / (min(dfs) - 1.0))))


def _groups(w, med, spread):
    """Each row's Cauchy references: weights, centres and scales, shaped (C, n)."""
    k, n = med.shape
    widest = spread.max(axis=0)
    bucket = np.clip(np.floor(np.log(widest / spread) / np.log(_BUCKET)), 0, _MAX_BUCKET)
    unit = widest * _BUCKET ** -bucket
    cell = np.floor(med / (_CELL * unit))
    order = np.lexsort((cell.T, bucket.T), axis=-1).T                   # (K, n)
    b_s, c_s = (np.take_along_axis(a, order, axis=0) for a in (bucket, cell))
    new = np.ones((k, n), dtype=bool)
    new[1:] = (b_s[1:] != b_s[:-1]) | (c_s[1:] != c_s[:-1])
    gid = np.empty((k, n), dtype=np.int64)
    np.put_along_axis(gid, order, np.cumsum(new, axis=0) - 1, axis=0)  # group of each component
    n_groups = int(gid.max()) + 1
    cols = np.broadcast_to(np.arange(n), (k, n))
    weight = np.zeros((n_groups, n))
    np.add.at(weight, (gid, cols), w)
    low = np.full((n_groups, n), np.inf)
    high = np.full((n_groups, n), -np.inf)
    scale = np.zeros((n_groups, n))
    np.minimum.at(low, (gid, cols), med)
    np.maximum.at(high, (gid, cols), med)
    np.maximum.at(scale, (gid, cols), spread)
    empty = ~np.isfinite(low)                                           # padding: weight 0
    low, high = np.where(empty, 0.0, low), np.where(empty, 0.0, high)
    scale = np.where(empty, 1.0, scale)
    return weight, 0.5 * (low + high), np.maximum(scale, 0.5 * (high - low))


def _half_gini_rows(sums, w, med, spread, space, rows, rule):
    weight, centre, scale = _groups(w, med, spread)
    keep = weight.max(axis=1) > 0
    weight, centre, scale = weight[keep], centre[keep], scale[keep]
    with np.errstate(divide="ignore"):
        log_weight = np.log(weight)

    total = np.zeros(w.shape[1])
    for g in range(weight.shape[0]):
        def pieces(left, right, g=g):
            with np.errstate(divide="ignore"):
                u = np.log(left) - np.log(right)                       # logit of the level
            ell = centre[g] + scale[g] * np.sinh(u)                     # (N, n)
            dell = scale[g] * np.cosh(u) / (left * right)               # d ell / d level
            x, xc, jac = _from_space(ell, space)
            below, above = sums(x, xc, rows, w)
            # partition of unity: group j's share log W_j - p log(S_j^2 + (ell - M_j)^2)
            def log_phi(j):
                return log_weight[j] - 2.0 * _POWER * np.log(np.hypot(scale[j], ell - centre[j]))
            norm = log_phi(0)
            for j in range(1, weight.shape[0]):    # one (nodes x rows) array at a time
                norm = np.logaddexp(norm, log_phi(j))
            share = np.exp(log_phi(g) - norm)
            with np.errstate(invalid="ignore", over="ignore"):
                val = below * above * jac * share * dell
            return np.where(np.isfinite(val), val, 0.0)
        total += rule(pieces, 1)
    return total
