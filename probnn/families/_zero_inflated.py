"""What the zero-inflated count families share: a count family plus a zero logit.

Raw outputs: the count family's columns ``z_c``, then one more, ``z0``, with
``pi = sigmoid(z0)``. The count family supplies ``L_c(y) = -log p_B(y)`` and its
gradient (its own kernel, so each count law's stable formulas are reused unchanged):

zero-inflated
    ``y > 0``: ``L = -log(1 - pi) + L_c(y)``; ``dL/dz_c = dL_c/dz_c``, ``dL/dz0 = pi``.
    ``y = 0``: ``L = -log(pi + (1 - pi) e^{-L_c(0)})`` (``logaddexp``); with the share of
    the count law's zero ``rho = (1 - pi) p_B(0) / P(0)``:
    ``dL/dz_c = rho dL_c(0)/dz_c``, ``dL/dz0 = rho - (1 - pi)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import log_sigmoid, sigmoid
from probnn._validation import check_sample_weight
from probnn.families.base import Array, Family, as_raw, check_count_target

__all__ = ["ExcessZerosFamily", "HurdleFamily", "ZERO_LOGIT_START"]

#: |z0| a network starts from where the constant model's zero logit is infinite (a target with
#: no zeros: -inf, P(0) = 0; only zeros: +inf): P(0) = sigmoid(-20) = 2e-9, as the NB's
#: Poisson-limit stand-in. (From 0, P(0) = 1/2, L-BFGS spent its steps on the zero part and
#: could stop with P(0) near 1 on a table of counts near 1e11 that held no zero.)
ZERO_LOGIT_START = 20.0


def _effective_rows(w: np.ndarray) -> float:
    """Kish's effective number of rows ``(sum w)^2 / sum w^2`` of weights ``w`` (shape (n,),
    non-negative, some positive): ``n`` for equal weights, the same for ``c w``; computed on
    ``w / max(w)`` so that weights near the float limits neither overflow nor underflow."""
    scaled = w / w.max()
    return float(scaled.sum() ** 2 / np.dot(scaled, scaled))


def _kt_boundary_logit(n_effective: float) -> float:
    """``|logit|`` of the Krichevsky-Trofimov share ``(0 + 1/2) / (n + 1)`` of an outcome none
    of ``n`` rows holds (``n``: Kish's effective rows, :func:`_effective_rows`):
    ``log(n + 1/2) - log(1/2)``."""
    return float(np.log(2.0 * n_effective + 1.0))


class PoissonCounts:
    """What the excess-zero families whose count law is the Poisson declare alike."""

    link = "lambda = exp(z1), pi = sigmoid(z0)"
    out_activation = "exp (rate), sigmoid (zero probability)"
    param_names = ("count_rate", "zero_probability")
    count_family = "poisson"


class NegativeBinomialCounts:
    """What the excess-zero families whose count law is NB2 declare alike."""

    link = "mu = exp(z1), alpha = softplus(z2), pi = sigmoid(z0)"
    out_activation = "exp (mean), softplus (dispersion), sigmoid (zero probability)"
    param_names = ("count_mean", "count_dispersion", "zero_probability")
    count_family = "negative-binomial"


def _at_zero_rows(count: Family, zc: Array, y: np.ndarray, zero: np.ndarray, loss_y: Array,
                  grad_y: Array | None, need_gradient: bool) -> tuple[Array, Array | None]:
    """The count law's NLL of a zero (and its gradient) on the rows where ``y`` is 0; 0 on the
    others, which :meth:`ExcessZerosFamily._mix` reads from ``loss_y`` instead.

    Each row's numbers are those of ``count._loss_gradient(zc, zeros)`` on every row (the
    kernels are elementwise: a row's result does not depend on the others), without its cost
    on the rows that hold no zero: a target without zeros pays for one count law, not two.
    """
    loss_0 = np.zeros_like(loss_y)
    grad_0 = np.zeros_like(grad_y) if need_gradient else None
    rows = np.flatnonzero(zero)
    if rows.size:
        part, grad_part = count._loss_gradient(zc[rows], np.zeros(rows.size, y.dtype),
                                               need_gradient)  # fmt: skip
        loss_0[rows] = part
        if need_gradient:
            grad_0[rows] = grad_part
    return loss_0, grad_0


class ExcessZerosFamily(Family):
    """Base of the zero-inflated families (not registered itself).

    Subclasses set ``name`` and ``count_family`` (a registered count family's name).
    """

    #: the registry name of the count law's family
    count_family: str = ""
    #: the derivation (plain text, LaTeX), set by each family's file
    derivation_texts: tuple[str, str] = ("", "")

    is_classifier = False
    support = "count"
    target_kinds = ("count",)

    @property
    def _count(self) -> Family:
        from probnn.families import get_family

        return get_family(self.count_family)

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Non-negative integer counts of shape (n_samples,), as floats."""
        return check_count_target(y, self.name)

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return self._count._n_outputs_for(y) + 1

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return self.derivation_texts[1 if latex else 0]

    def _split(self, raw: Array) -> tuple[Array, Array]:
        return raw[:, :-1], raw[:, -1]

    @property
    def models_intervals(self) -> bool:
        """Censored targets when the count family has a censored kernel."""
        return self._count.models_intervals

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        count = self._count
        zc = raw[:, :-1]
        zero = y == 0
        loss_y, grad_y = count._loss_gradient(zc, y, need_gradient)
        loss_0, grad_0 = _at_zero_rows(count, zc, y, zero, loss_y, grad_y, need_gradient)
        return self._mix(raw, zero, loss_y, grad_y, loss_0, grad_0, need_gradient)

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``P(l < Y <= u) = pi [l < 0] + (1 - pi) P_B(l < Y <= u)``: the same mixing as an
        exact zero, with the count family's censored NLL in place of ``L_c(0)``."""
        if not self.models_intervals:  # pragma: no cover - check_interval_target refuses first
            return super()._censored_loss_gradient(raw, lower, upper, need_gradient)
        loss_c, grad_c = self._count._censored_loss_gradient(raw[:, :-1], lower, upper,
                                                             need_gradient)  # fmt: skip
        return self._mix(raw, lower < 0, loss_c, grad_c, loss_c, grad_c, need_gradient)

    @staticmethod
    def _mix(raw, with_zero, loss_c, grad_c, loss_c0, grad_c0, need_gradient):
        """The NLL and gradient of rows whose event holds the structural zero (``with_zero``:
        ``-log(pi + (1 - pi) e^{-loss_c0})``) or not (``-log(1 - pi) + loss_c``)."""
        z0 = raw[:, -1].astype(np.float64, copy=False)
        if not with_zero.any():  # no row's event holds the zero: the second case on every row
            loss = -log_sigmoid(-z0) + loss_c.astype(np.float64, copy=False)
            if not need_gradient:
                return loss.astype(raw.dtype, copy=False), None
            grad = np.empty_like(raw)
            grad[:, :-1] = grad_c
            grad[:, -1] = sigmoid(z0)
            return loss.astype(raw.dtype, copy=False), grad
        log_pi, log_not_pi = log_sigmoid(z0), log_sigmoid(-z0)
        log_b0 = -loss_c0.astype(np.float64, copy=False)  # log P_B(event), e.g. log p_B(0)
        log_p0 = np.logaddexp(log_pi, log_not_pi + log_b0)
        loss = np.where(with_zero, -log_p0, -log_not_pi + loss_c.astype(np.float64, copy=False))
        out_loss = loss.astype(raw.dtype, copy=False)
        if not need_gradient:
            return out_loss, None
        grad = np.empty_like(raw)
        # rho: the count law's share of the event's probability; 0 off those rows (and where
        # P_B underflows, so that an infinite dL_c/dz_c there contributes nothing)
        rho = np.where(with_zero,
                       np.exp(log_not_pi + log_b0 - np.where(with_zero, log_p0, 0.0)), 0.0)
        active = rho[:, None] > 0
        part = np.where(active, rho[:, None] * np.where(active, grad_c0, 0.0), 0.0)
        grad[:, :-1] = np.where(with_zero[:, None], part, grad_c)
        grad[:, -1] = np.where(with_zero, rho - sigmoid(-z0), sigmoid(z0))
        return out_loss, grad

    def distribution(self, raw: ArrayLike):
        """``ZeroInflated(count distribution, zero_logit=z0)``, batch shape (n_samples,)."""
        from probnn.distributions.zero_inflated import ZeroInflated

        raw = self._columns(raw)
        zc, z0 = self._split(raw)
        return ZeroInflated(self._count.distribution(zc), z0)

    def _columns(self, raw: ArrayLike) -> Array:
        raw = as_raw(raw)
        k = self._count._n_outputs_for(np.zeros(1)) + 1
        if raw.ndim != 2 or raw.shape[1] != k:
            raise ValueError(f"{self.name} family expects raw outputs of shape (n_samples, {k}); "
                             f"found shape {raw.shape}")  # fmt: skip
        return raw

    def parameter_columns(self, dist) -> dict[str, np.ndarray]:
        """The count law's columns (prefixed ``count_``) and ``zero_probability``."""
        columns = {f"count_{k}": v for k, v in self._count.parameter_columns(dist.base).items()}
        columns["zero_probability"] = np.asarray(dist.zero_probability)
        return columns

    def mean(self, raw: ArrayLike) -> Array:
        """``E[Y]``, shape (n_samples,)."""
        return np.asarray(self.distribution(raw).mean)

    def finite_start(self, constant: np.ndarray) -> np.ndarray:
        """The output layer's start from the constant model's raw outputs ``constant``: an
        infinite zero logit as ``+-ZERO_LOGIT_START`` (the limit it stands for, to 2e-9 in
        P(0)), the count part's infinities as 0."""
        start = np.array(constant, dtype=np.float64)
        z0 = start[-1]
        start[~np.isfinite(start)] = 0.0
        if np.isinf(z0):
            start[-1] = np.copysign(ZERO_LOGIT_START, z0)
        return start

    def _zero_share(self, y: ArrayLike, sample_weight: ArrayLike | None):
        """The constant model's inputs: ``y`` as float64, the weights (ones when None) and the
        weighted share of zeros; a weight total that is not positive is refused."""
        y = self.check_target(y).astype(np.float64)
        w = check_sample_weight(sample_weight, y.shape[0])
        total = w.sum()
        if not total > 0:
            raise ValueError(f"sample_weight must have a positive sum; found {total}")
        return y, w, float(np.dot(w, y == 0) / total)

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """Raw outputs of the constant model's MLE, shape (n_outputs,).

        No closed form: the weighted NLL is minimised numerically (L-BFGS-B with the
        analytic gradient) from the count family's own constant model and the logit of
        the share of zeros beyond what that model gives. All counts 0: the count part
        at its start and ``z0 = inf`` (every zero structural), the MLE's limit
        (:meth:`reference_raw` scores held-out rows instead).
        """
        from scipy.optimize import minimize

        y, w, share0 = self._zero_share(y, sample_weight)
        count = self._count
        zc = np.asarray(count.constant_raw(y, w), dtype=np.float64)
        if share0 == 1.0:
            return np.append(np.where(np.isfinite(zc), zc, 0.0), np.inf)
        zc = np.where(np.isfinite(zc), zc, 0.0)
        b0 = float(np.exp(-count.nll(zc[None, :], [0.0])[0]))
        extra = min(max((share0 - b0) / (1 - b0), 1e-3), 1 - 1e-3) if b0 < 1 else 0.5
        start = np.append(zc, np.log(extra) - np.log1p(-extra))
        w_norm = w / w.sum()  # the positive total _zero_share checked

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            raw = np.broadcast_to(theta, (y.shape[0], theta.size))
            loss, grad = self.loss_gradient(raw, y, w_norm)
            return float(loss.sum()), grad.sum(axis=0)

        result = minimize(objective, start, jac=True, method="L-BFGS-B",
                          options={"gtol": 1e-12, "ftol": 1e-15})  # fmt: skip
        return result.x

    def reference_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """The constant model that scores held-out rows, shape (n_outputs,): the MLE
        (:meth:`constant_raw`), but where every row holds a zero.

        There the MLE's ``P(0) = 1`` scores a held-out positive count at an infinite NLL; as
        :meth:`HurdleFamily.reference_raw`, ``P(0)`` is the Krichevsky-Trofimov
        ``(n + 1/2) / (n + 1)`` instead: the count part at its start (``p_B(0) = b0``), the
        inflation ``pi = (P(0) - b0) / (1 - b0)`` making up the rest. No zeros need no rule:
        the count law keeps ``P(0) > 0``.
        """
        raw = np.array(self.constant_raw(y, sample_weight), dtype=np.float64)
        return self._counted_rows(raw, *self._zero_share(y, sample_weight)[:2])

    def counted_reference(self, raw: ArrayLike, n_rows: int, n_zeros: int,
                          n_effective: float | None = None) -> Array:
        """:meth:`reference_raw`'s rule from a tally, shape (n_outputs,): a constant model's
        raw outputs ``raw`` (its fitted intercepts) on ``n_rows`` rows of positive weight, of
        which ``n_zeros`` hold a zero, with the zero part at the Krichevsky-Trofimov share
        where those rows hold no zero or only zeros (else ``raw`` as given). A streamed
        table's training rows are counted, not held (``tables.streaming``), and one held in
        memory is counted alike: both fits of a constant get one reference.

        ``n_effective``: the KT rule's count of rows, Kish's ``(sum w)^2 / sum w^2`` of the
        rows' weights (``n_rows`` for rows of weight 1, the default). :meth:`reference_raw`
        takes its rule from here, so a weighted tally and the weighted rows agree. Why Kish's
        count, not the rows (which counted rows of weight 0: one row of weight 1 among nine
        of weight 0 was n = 10) nor the weights' sum: the count is the rows' information
        against the half pseudo-count, which a weight's unit does not change (weights
        normalised to sum 1 would make the sum n = 1 on any table), as the MLE's share of
        zeros it sits beside does not; equal weights give the rows' count.
        """
        side = -1 if n_zeros == 0 else 1 if n_zeros == n_rows else 0
        n = float(n_rows) if n_effective is None else float(n_effective)
        return self._at_kt(np.array(raw, dtype=np.float64), side, n)

    def _counted_rows(self, raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
        """:meth:`counted_reference` of the rows ``y`` weighted ``w`` (shape (n,), checked)."""
        held = w > 0
        return self.counted_reference(raw, int(held.sum()), int(np.count_nonzero(y[held] == 0)),
                                      _effective_rows(w))

    def _at_kt(self, raw: np.ndarray, side: int, n_effective: float) -> np.ndarray:
        """``raw`` with ``P(0)`` at the KT ``(n + 1/2) / (n + 1)`` where every row holds a
        zero (``side`` 1; ``n`` Kish's effective rows): the count part as it is, the
        inflation making up the rest. No zeros (``side`` -1) need no rule."""
        if side == 1:
            b0 = float(np.exp(-self._count.nll(raw[None, :-1], [0.0])[0]))
            p_positive = 1.0 / (1.0 + np.exp(_kt_boundary_logit(n_effective)))
            raw[-1] = np.log1p(-b0 - p_positive) - np.log(p_positive)
        return raw


class HurdleFamily(ExcessZerosFamily):
    """Base of the hurdle families: ``P(0) = pi``, ``P(y) = (1 - pi) p_B(y) / P_B(Y > 0)``.

    With ``T = log P_B(Y > 0)`` from the count family's ``_log_positive_mass``:
    ``y = 0``: ``L = -log pi``, ``dL/dz0 = pi - 1``, nothing on ``z_c``;
    ``y > 0``: ``L = -log(1 - pi) + L_c(y) + T``, ``dL/dz_c = dL_c(y)/dz_c + dT/dz_c``,
    ``dL/dz0 = pi``. The two parts share no parameter: the zero part is a logistic
    regression of ``y == 0``, the count part a zero-truncated count regression.
    """

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool,
                       count_loss_gradient=None):
        """``count_loss_gradient``: the count part's ``(zc, y, need_gradient) -> (loss,
        grad)`` where not its family's own (the network's compiled one, equal bit for bit)."""
        count = self._count
        zc = raw[:, :-1]
        z0 = raw[:, -1].astype(np.float64, copy=False)
        zero = y == 0
        loss_y, grad_y = (count_loss_gradient or count._loss_gradient)(zc, y, need_gradient)
        t, dt = count._log_positive_mass(zc, need_gradient)
        positive = -log_sigmoid(-z0) + loss_y.astype(np.float64, copy=False) + t
        loss = np.where(zero, -log_sigmoid(z0), positive).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        grad = np.empty_like(raw)
        grad[:, :-1] = np.where(zero[:, None], 0.0, grad_y + dt)
        grad[:, -1] = np.where(zero, -sigmoid(-z0), sigmoid(z0))
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``P(l < Y <= u) = pi [l < 0] + (1 - pi) P_B(max(l, 0) < Y <= u) / P_B(Y > 0)``.

        The count part's NLL is ``L_c(max(l, 0), u) + T`` (the count family's censored NLL
        plus the truncation ``T``, as an exact positive count's is ``L_c(y) + T``), mixed
        with the zero as :meth:`ExcessZerosFamily._mix` does; an event ``(-inf, 0]`` holds
        the zero only (``P = pi``).
        """
        count = self._count
        zc = raw[:, :-1]
        only_zero = (lower < 0) & (upper == 0)
        part = ~only_zero
        loss_c = np.full(raw.shape[0], np.inf)
        grad_c = np.zeros((raw.shape[0], zc.shape[1])) if need_gradient else None
        if part.any():
            zp = zc[part]
            lc, gc = count._censored_loss_gradient(zp, np.maximum(lower[part], 0.0), upper[part],
                                                   need_gradient)  # fmt: skip
            t, dt = count._log_positive_mass(zp, need_gradient)
            loss_c[part] = lc.astype(np.float64, copy=False) + t
            if need_gradient:
                grad_c[part] = gc + dt
        return self._mix(raw, lower < 0, loss_c, grad_c, loss_c, grad_c, need_gradient)

    def distribution(self, raw: ArrayLike):
        """``Hurdle(count distribution, zero_logit=z0)``, batch shape (n_samples,)."""
        from probnn.distributions.hurdle import Hurdle

        raw = self._columns(raw)
        return Hurdle(self._count.distribution(raw[:, :-1]), raw[:, -1])

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """The MLE: the zero part's logit is the log-odds of the zeros' share (closed form);
        the count part maximises the zero-truncated likelihood of the positive counts
        (L-BFGS-B from the count family's own constant model of them). No zeros: ``z0 = -inf``;
        only zeros: ``z0 = inf`` and the count part at 0 (:meth:`reference_raw` scores
        held-out rows instead)."""
        from scipy.optimize import minimize

        y, w, share0 = self._zero_share(y, sample_weight)
        with np.errstate(divide="ignore"):
            z0 = np.log(share0) - np.log1p(-share0)
        count = self._count
        pos = y > 0
        if not (pos & (w > 0)).any():
            return np.append(np.zeros(count._n_outputs_for(y)), z0)
        yp, wp = y[pos], w[pos] / w[pos].sum()
        start = np.asarray(count.constant_raw(yp, wp), dtype=np.float64)
        start = np.where(np.isfinite(start), start, 0.0)

        def objective(theta):
            raw = np.broadcast_to(theta, (yp.shape[0], theta.size))
            loss, grad = count._loss_gradient(np.ascontiguousarray(raw), yp, True)
            t, dt = count._log_positive_mass(np.ascontiguousarray(raw), True)
            return float(np.dot(wp, loss + t)), (wp[:, None] * (grad + dt)).sum(axis=0)

        res = minimize(objective, start, jac=True, method="L-BFGS-B",
                       options={"gtol": 1e-12, "ftol": 1e-15})  # fmt: skip
        return np.append(res.x, z0)

    def reference_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """The constant model that scores held-out rows, shape (n_outputs,): the MLE
        (:meth:`constant_raw`), but where the rows hold no zero (or only zeros).

        There the zero part's MLE, ``P(0) = 0`` (1), lies at its boundary, with no finite
        optimum, and scores a held-out zero (positive count) at an infinite NLL. The zero part
        is a two-class model of ``y == 0``, so it takes the rule the class models take for a
        label without training rows (``tables.model.JEFFREYS_COUNT``): half a pseudo-count of
        each outcome, the Krichevsky-Trofimov ``P(0) = (1/2) / (n + 1)`` (only zeros:
        ``(n + 1/2) / (n + 1)``), ``n`` the rows' effective count (:func:`_effective_rows`).
        The count part is the MLE's (at 0 for only zeros: no positive count to fit).
        """
        raw = np.array(self.constant_raw(y, sample_weight), dtype=np.float64)
        return self._counted_rows(raw, *self._zero_share(y, sample_weight)[:2])

    def _at_kt(self, raw: np.ndarray, side: int, n_effective: float) -> np.ndarray:
        """``raw`` with the zero logit at the KT share's, ``side * log(2 n + 1)``, where the
        rows hold no zero (``side`` -1) or only zeros (1); the count part as it is."""
        if side:
            raw[-1] = side * _kt_boundary_logit(n_effective)
        return raw
