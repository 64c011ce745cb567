"""The training loop: minibatches, priors, schedules, early stopping, L-BFGS.

:class:`Trainer` chooses an :class:`MLP`'s weights by minimising

    J(w) = (sum_i s_i nll_i(w) + penalty(W)) / sum_i s_i

where ``s`` are the sample weights (all 1 when none are given, so that
``sum_i s_i = n_samples``) and the penalty is the negative log prior on the
coefficient matrices (never the biases). Dividing the penalty by the total
weight, not the number of rows, makes an integer weight ``k`` exactly the
same objective as ``k`` copies of the row (weight 0: the row removed), so the
full-batch solvers ("lbfgs", "gd") reach the same weights either way, up to
rounding.

A minibatch step ("adam", "sgd", ...) uses the batch's weighted mean NLL,
``sum_{i in B} s_i nll_i / sum_{i in B} s_i``, plus the full penalty / total
weight. Rows are drawn into batches uniformly, whatever their weight: a
weight scales the row's share of its batch's mean, so a weight of 2 equals a
duplicated row in expectation over the shuffles, not step for step (a
duplicated row can land in two batches, a weighted one lands in one).
With early stopping the penalty is divided by the weight of the rows left
for training, and the validation score is the weighted mean NLL of the
held-out rows (no penalty). Validation rows given to :meth:`Trainer.fit`
(``validation_data``) are scored the same way and replace the held-out part.

With ``ema_decay`` (Polyak averaging) the model is the average of the weights
along the path, not the last step's: :mod:`probnn.network.averaging`. Early
stopping's held-out rows and the validation rows are checked and scored by
:mod:`probnn.network._scoring`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from probnn import defaults
from probnn._validation import (
    POSITIVE, InstanceOf, Interval, Options, check_params, check_sample_weight,
)
from probnn.exceptions import TrainingDivergedError
from probnn.families.base import Family, _overflow_is_inf, weigh_rows
from probnn.network.mlp import MLP, make_rng
from probnn.network import _engine, _fast
from probnn.network._scoring import check_validation_data, hold_out, validation_scorer
from probnn.network.averaging import WeightAverage
from probnn.network.optimizers import SOLVERS, make_optimizer
from probnn.network.schedules import SCHEDULES, learning_rate_at, warming_up, warmup_factor
from probnn.network.stopping import DROP, STOP, PlateauRule, max_iter_message

__all__ = ["Trainer", "SCHEDULES", "learning_rate_at", "precompile"]

# seconds of training before a progress bar appears: short fits stay silent
PROGRESS_DELAY_S = 1.0

Array = np.ndarray


_BOOL = Options(True, False)
_COUNT = Interval(1, closed="left", integer=True)  # an integer >= 1
_NON_NEGATIVE = Interval(0.0, closed="left")
_FRACTION = Interval(0.0, 1.0, closed="left")  # [0, 1)

# What each setting may be: the one declaration, checked when a Trainer is built; the
# estimators' tables reuse these entries and check them at fit, before the data is touched.
# The optimisers and kernels behind the Trainer trust it (momentum and betas in [0, 1) ...).
TRAINER_CONSTRAINTS = {
    "solver": [Options(*SOLVERS)],
    "learning_rate": [Options(*SCHEDULES)],
    "learning_rate_init": [POSITIVE],
    "power_t": [Interval()],
    "batch_size": [Options("auto"), _COUNT],
    "momentum": [_FRACTION],
    "nesterovs_momentum": [_BOOL],
    "beta_1": [_FRACTION],
    "beta_2": [_FRACTION],
    "epsilon": [POSITIVE],
    "rho": [_FRACTION],
    "weight_decay": [_NON_NEGATIVE],
    "prior": [Options(None, "gaussian", "laplace")],
    "alpha": [_NON_NEGATIVE],
    "shuffle": [_BOOL],
    "max_iter": [_COUNT],
    "tol": [_NON_NEGATIVE],
    "n_iter_no_change": [_COUNT],
    "early_stopping": [_BOOL],
    "validation_fraction": [_FRACTION],  # > 0 as well with early stopping (checked with it)
    "max_fun": [_COUNT],
    "ema_decay": [Options(None), Interval(0.0, 1.0, closed="neither")],
    "random_state": [
        Options(None), Interval(0, 2**32 - 1, closed="both", integer=True),
        InstanceOf((np.random.Generator, np.random.RandomState),
                   "a numpy Generator or RandomState"),
    ],
    "progress": [Options(True, False, None), _NON_NEGATIVE],
    "verbose": [_BOOL, Interval(0, closed="left", integer=True)],
}


class Trainer(WeightAverage):
    """Chooses the MLP's weights by minimising

         J(w) = (sum_i s_i * nll_i(w)  +  penalty(W)) / sum_i s_i

    (s = sample weights; penalty from the prior on the coefficient matrices,
    never the biases: prior="gaussian": alpha/2 * ||W||^2 (alpha =
    1/prior_scale^2); prior="laplace": alpha * ||W||_1 (alpha = 1/prior_scale);
    prior=None or alpha=0: pure maximum likelihood).

    Parameters
    ----------
    network : MLP
    family : Family
        The likelihood head; its ``loss_gradient`` gives the output delta.
    solver : {"adam", "adamw", "sgd", "rmsprop", "gd", "lbfgs"}
        "gd" is full-batch gradient descent; "lbfgs" runs scipy's L-BFGS-B on
        the full objective.
    learning_rate : {"constant", "invscaling", "cosine", "adaptive", "plateau"}
        "adaptive" divides the rate by 5 whenever the stopping rule counts
        ``n_iter_no_change`` epochs without improvement, and stops below 1e-6;
        "plateau": ``defaults.PLATEAU_*``, see :mod:`probnn.network.stopping`.
    batch_size : int or "auto"
        "auto" is ``min(200, n_samples)``.
    ema_decay : float in (0, 1) or None
        Keep an exponential moving average of the weights with this decay per
        step (after a warm-up, see the module docstring); :meth:`fit` scores,
        keeps and returns the averaged weights (:meth:`run`, in memory and
        streamed). None: the last step's weights. Ignored by "lbfgs", and by
        :meth:`partial_fit` outside :meth:`start_average` / :meth:`stop_average`.
    Other parameters are scikit-learn's (``MLPClassifier``) or the optimiser's.

    Attributes
    ----------
    loss_curve_ : list of float
        J per epoch (per iteration for lbfgs).
    held_out_index_ : ndarray of int or None
        The rows of the last :meth:`fit`'s ``X`` that early stopping held out (sorted),
        or None when it held out none (validation_data given, or no early stopping).
    validation_scores_ : list of float
        Mean validation NLL per epoch (early_stopping or validation_data).
    best_validation_score_ : float or None
        With early_stopping, the lowest validation NLL, of the weights kept: those
        of the best epoch, or the starting weights when no epoch beat them.
    best_loss_, n_iter_, t_, converged_

    ``engine`` (attribute): the training step's path, ``"numpy"``, ``"numba"`` or ``"auto"``
    (None: ``PROBNN_ENGINE``, default auto: numba where the model of its cost says it pays);
    see :mod:`probnn.network._fast`. Small networks train with one BLAS thread
    (``_fast.limit_blas_threads``).
    """

    engine: str | None = None

    def __init__(self, network: MLP, family, *, solver="adam", learning_rate_init=1e-3,
                 learning_rate="constant", power_t=0.5, batch_size="auto", momentum=0.9,
                 nesterovs_momentum=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8, rho=0.9,
                 weight_decay=0.01, prior="gaussian", alpha=0.0, shuffle=True, max_iter=200,
                 tol=1e-4, n_iter_no_change=10, early_stopping=False,
                 validation_fraction=0.1, max_fun=15000, ema_decay=None, random_state=None,
                 progress=False, verbose=False) -> None:  # fmt: skip
        check_params(dict(
            solver=solver, learning_rate_init=learning_rate_init, learning_rate=learning_rate,
            power_t=power_t, batch_size=batch_size, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, rho=rho, weight_decay=weight_decay, prior=prior, alpha=alpha,
            shuffle=shuffle, max_iter=max_iter, tol=tol, n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            max_fun=max_fun, ema_decay=ema_decay, random_state=random_state,
            progress=progress, verbose=verbose,
        ), TRAINER_CONSTRAINTS, "Trainer")  # fmt: skip
        if early_stopping and not validation_fraction > 0:
            raise ValueError(
                "Trainer: validation_fraction must be > 0 with early_stopping (it is the share "
                f"held out to stop on); found {validation_fraction!r}"
            )
        if solver == "lbfgs" and network.dropout > 0:
            raise ValueError(
                f"dropout={network.dropout} makes the objective random, which L-BFGS's line "
                "search cannot handle; use a stochastic solver (adam, sgd, ...) or dropout=0"
            )
        self.network, self.family = network, family
        self.solver, self.learning_rate_init = solver, float(learning_rate_init)
        self.learning_rate, self.power_t = learning_rate, float(power_t)
        self.batch_size = batch_size if batch_size == "auto" else int(batch_size)
        self.prior, self.alpha = prior, float(alpha)
        self.shuffle, self.max_iter, self.tol = shuffle, int(max_iter), float(tol)
        self.n_iter_no_change = int(n_iter_no_change)
        self.early_stopping, self.validation_fraction = early_stopping, validation_fraction
        self.max_fun, self.progress, self.verbose = int(max_fun), progress, verbose
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self._average = None  # the weights' moving average during run() (ema_decay)
        # (raw weights, average, its step count, weights left in the network) after a run
        self._left_averaging = None
        self._rng = make_rng(random_state)
        self._opt_kw = dict(momentum=momentum, nesterovs_momentum=nesterovs_momentum,
                            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, rho=rho,
                            weight_decay=weight_decay)  # fmt: skip
        self._optimizer = None
        self._fused_loss = None  # _fast.loss_kernel_for(family) when the compiled path is on
        self._lr = self.learning_rate_init
        self.loss_curve_: list[float] = []
        self.validation_scores_: list[float] = []
        self.best_loss_ = np.inf
        self.best_validation_score_ = None
        self.n_iter_ = 0
        self.t_ = 0
        self.converged_ = False
        self._no_improvement = 0
        self._n_drops = 0  # the rate's drops on plateaus so far (learning_rate="plateau")
        self._rate_share, self._running = 1.0, False  # run()'s warm-up (_warmup)

    # --------------------------------------------------------------- prior
    @property
    def _penalised(self) -> bool:
        return self.prior is not None and self.alpha > 0

    def penalty(self) -> float:
        """The prior's penalty on the coefficients (before dividing by the total weight)."""
        if not self._penalised:
            return 0.0
        W = self.network.params[: self.network.n_coef_params]
        if self.prior == "gaussian":
            return 0.5 * self.alpha * float(np.dot(W, W))
        return self.alpha * float(np.abs(W).sum())

    def _add_penalty_grad(self, grad: Array, total_weight: float) -> None:
        """grad[coefs] += d penalty / d W / total_weight (sign(0) = 0 for the L1 subgradient)."""
        if not self._penalised:
            return
        k = self.network.n_coef_params
        W, g = self.network.params[:k], grad[:k]
        scale = self.alpha / total_weight
        if self.prior == "gaussian":
            g += scale * W  # one parameter-size temporary per step, only with a prior
        else:
            g += scale * np.sign(W)

    # ---------------------------------------------------- full objective
    def objective(self, X, y, sample_weight=None) -> tuple[float, Array]:
        """J and its gradient (a copy, layout of ``params``) on the whole of ``(X, y)``."""
        X = self.network._check_X(X)
        n = X.shape[0]
        w = None if sample_weight is None else check_sample_weight(sample_weight, n)
        raw = self.network.forward(X, training=True, rng=self._rng)
        fused = getattr(self, "_lbfgs_loss", None)  # (fit_lbfgs: _fast.lbfgs_loss_for)
        if fused is None:
            nll, g = self.family.loss_gradient(raw, y, w)
        else:  # Family.loss_gradient with the compiled loss (bit-identical) in the middle
            raw2, yc, _ = self.family._prepare(raw, y)
            with _overflow_is_inf():
                nll, g = fused(raw2, yc, True)
            nll, g = self.family._weigh(nll, g, w)
        total = float(n if w is None else w.sum())
        g = g.reshape(raw.shape) / raw.dtype.type(total)
        grad = self.network.backward(g).copy()
        self._add_penalty_grad(grad, total)
        return (float(np.sum(nll, dtype=np.float64)) + self.penalty()) / total, grad

    # ---------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None, validation_data=None) -> "Trainer":
        """Train until convergence or ``max_iter`` epochs, from the current weights.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), the network's dtype
        y : ndarray, targets as ``family.check_target`` returns them
        sample_weight : array-like of shape (n_samples,), optional
        validation_data : tuple (X_val, y_val, sample_weight_val or None), optional
            Rows to score after every epoch (their weighted mean NLL, no penalty, in
            ``validation_scores_``), prepared like ``X`` and ``y``. With
            ``early_stopping`` they replace the random held-out ``validation_fraction``
            (all of ``X`` is trained on) and the weights of the best epoch are kept;
            without it they are only recorded. Not for solver="lbfgs".

        Returns
        -------
        self

        Raises
        ------
        TrainingDivergedError
            If the loss becomes NaN or infinite (the last finite weights are kept).
        """
        X = self.network._check_X(X)
        y = np.asarray(y)
        sw = None if sample_weight is None else check_sample_weight(sample_weight, X.shape[0])
        if validation_data is not None:
            if self.solver == "lbfgs":
                raise ValueError(
                    "validation_data needs a stochastic solver (adam, sgd, ...), which "
                    "scores it after every epoch; found solver='lbfgs'"
                )
            validation_data = check_validation_data(self.network, validation_data)
        return self.train(X, y, sw, validation_data)

    def train(self, X, y, sample_weight=None, validation_data=None, on_epoch=None) -> "Trainer":
        """:meth:`fit` on inputs its caller has checked (the estimators check them once,
        at their boundary); nothing is checked again.

        Contract: ``X`` C-contiguous in the network's dtype with the network's number of
        features; ``y`` as ``family.check_target`` returns it, one row per row of ``X``;
        ``sample_weight`` None or finite non-negative float64 of shape (n_samples,);
        ``validation_data`` None or ``(X_val, y_val, weights or None)`` prepared the same
        way, with rows and a positive total weight, and only for a stochastic solver.
        L-BFGS runs on the whole objective; the stochastic solvers hold out early
        stopping's ``validation_fraction`` (unless ``validation_data`` is given) and
        :meth:`run` on the rest as one chunk (``on_epoch`` as there).
        """
        sw = sample_weight
        self.held_out_index_ = None
        self._forget_targets()
        if self.solver == "lbfgs":
            return self._fit_lbfgs(X, y, sw)
        if validation_data is None and self.early_stopping:
            X, y, sw, *validation_data = self._split(X, y, sw)
        return self.run([(X, y, sw)], validation_data, on_epoch)

    def run(self, chunks, validation=None, on_epoch=None) -> "Trainer":
        """Train epoch after epoch on row chunks, from the current weights: the one loop of
        the minibatch solvers, in memory and streamed.

        Each epoch trains on every chunk in turn (minibatches drawn within a chunk, see
        :meth:`_epoch`); then the weights' average is swapped in, the validation rows are
        scored, and the stopping rule, the "adaptive" learning rate and the divergence
        checks act once per epoch.

        Parameters
        ----------
        chunks : sequence of (X, y, w) or callable
            One epoch's training rows, as :meth:`train`'s contract prepares them: a
            sequence read again each epoch (in memory: one chunk, all the rows), or a
            callable returning a fresh iterable of chunks per epoch (a table streamed).
            The penalty is divided by each chunk's total weight.
        validation : (X_val, y_val, w_val or None), callable or None
            The rows scored after each epoch (early stopping needs them): arrays, or a
            callable returning an iterable of such chunks.
        on_epoch : callable, optional
            Called after each epoch with ``(epoch, loss, validation score or None)``; a
            true return value stops training there, as the stopping rule's stop would.
        """
        epoch_chunks = chunks if callable(chunks) else (lambda: chunks)
        monitored = validation is not None
        score_validation = validation_scorer(self.network, self.family, validation)
        if self.early_stopping:
            best_params = self.network.copy_params()
            best_score = self.best_validation_score_
            if best_score is None:
                # the starting weights are a candidate too: no epoch is kept unless it
                # beats them on the validation rows
                best_score = score_validation()
                best_score = best_score if np.isfinite(best_score) else np.inf
        self.converged_ = False
        averaging = self.ema_decay is not None
        # with averaging: the optimiser's own weights, while the network holds the average
        raw = self._resume_average() if averaging else None  # (a warm start goes on)
        self._left_averaging = None
        epochs = range(self.max_iter)
        # the stopping rule goes on from earlier runs' best score, wait and drops (warm start)
        rule = PlateauRule.for_schedule(self.learning_rate if self.solver != "gd" else "constant",
                                        self.n_iter_no_change, self.tol)  # fmt: skip
        rule.best = best_score if self.early_stopping else self.best_loss_
        rule.waited, rule.n_drops = self._no_improvement, getattr(self, "_n_drops", 0)
        self._threads, self._running = None, True  # _threads: set on the first chunk
        bar = None
        if self.progress is not False and self.progress is not None:
            from tqdm.auto import tqdm

            # a bar only for trainings that last (PROGRESS_DELAY_S); redrawn at tqdm's pace,
            # not forced on every epoch by the loss shown beside it
            delay = PROGRESS_DELAY_S if self.progress is True else float(self.progress)
            bar = tqdm(total=self.max_iter, desc="epochs", leave=False, delay=delay)
        try:
            for epoch in epochs:
                if raw is not None:
                    self.network.set_params(raw)
                loss = self._epoch_over(epoch_chunks())
                if averaging:
                    raw = self.swap_in_average()
                self.n_iter_ += 1
                self.loss_curve_.append(loss)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
                score = None
                if monitored:
                    score = score_validation()
                    self.validation_scores_.append(score)
                stop = on_epoch is not None and bool(on_epoch(self.n_iter_, loss, score))
                if self.early_stopping:
                    if not np.isfinite(score):
                        self._diverged(self.n_iter_, f"the validation NLL became {score}")
                    if score < best_score:
                        best_score = score
                        best_params = self.network.copy_params()
                    self.best_validation_score_ = float(best_score)
                else:
                    self.best_loss_ = min(self.best_loss_, loss)
                warming = warming_up(self._rate_share)
                decision = STOP if stop else rule.update(score if self.early_stopping else loss,
                                                         self._lr, warming=warming)  # fmt: skip
                self._no_improvement, self._n_drops = rule.waited, rule.n_drops
                if decision == DROP:
                    self._lr /= rule.divisor
                    if self.early_stopping and self.learning_rate == "plateau" and (
                            defaults.PLATEAU_FROM_BEST):  # on from the best weights and average
                        self.network.set_params(best_params)
                        if averaging:
                            raw, self._average[...] = best_params.copy(), best_params
                    if self.verbose:
                        print(f"Setting learning rate to {self._lr:f}")
                elif decision == STOP:
                    self.converged_ = True
                    break
        finally:
            if self._threads:
                self._threads.restore_original_limits()
            self._threads, self._last_y, self._running = None, None, False
            if bar is not None:
                bar.close()
            if self.early_stopping:
                self.network.set_params(best_params)
            if averaging and raw is not None:
                self._leave_average(raw)
            self.stop_average()  # partial_fit does not average
        if not self.converged_:
            warnings.warn(self._max_iter_message(), ConvergenceWarning, stacklevel=2)
        return self

    def _warmup(self, steps_in_epoch: int) -> float:
        """The epoch's share of its rate in :meth:`run` (:func:`~probnn.network.schedules.
        warmup_factor`; 1 in partial_fit), kept for the stopping rule (``warming``)."""
        schedule = self.learning_rate if getattr(self, "_running", False) else "constant"
        self._rate_share = warmup_factor(schedule, self._optimizer.t, steps_in_epoch,
                                         min(self.n_iter_no_change, self.max_iter / 10))
        return self._rate_share

    def _max_iter_message(self) -> str:
        """What the ConvergenceWarning at max_iter says (:func:`stopping.max_iter_message`)."""
        return max_iter_message(self.max_iter, self.n_iter_no_change, self.tol,
                                self.early_stopping)  # fmt: skip

    # ------------------------------------------------------------ pickling
    # A pickled trainer keeps the optimiser's state (moments, step count) and its random
    # generator, so partial_fit goes on after a round trip exactly as without one: dask-ml's
    # Incremental hands the estimator from one worker process to the next between blocks.
    # The compiled kernels (numba, process-local) are looked up again on load.
    def __getstate__(self) -> dict:
        compiled = self._optimizer is not None and self._optimizer._kernels is not None
        return {**self.__dict__, "_fused_loss": None, "_steps": None, "_compiled": compiled}

    def __setstate__(self, state: dict) -> None:
        compiled = state.pop("_compiled", False)
        self.__dict__.update(state)
        if compiled and _fast.numba_available():  # without numba: the NumPy path goes on
            kernels = _fast.kernels()
            self._optimizer.use_fused(kernels)
            self.network.use_fused(kernels)
            self._fused_loss = _fast.loss_kernel_for(self.family)

    def partial_fit(self, X, y, sample_weight=None) -> "Trainer":
        """One pass over this chunk, keeping the optimiser's state (no stopping rule); the
        weights' average is kept only between :meth:`start_average` and :meth:`stop_average`."""
        if self.solver == "lbfgs":
            raise ValueError("partial_fit needs a stochastic solver; lbfgs works on the whole data")
        X = self.network._check_X(X)
        n = X.shape[0]
        sw = None if sample_weight is None else check_sample_weight(sample_weight, n)
        self._forget_targets()  # a chunk may come in the arrays of the last one
        with _fast.blas_threads_for(self.network.layer_sizes, self._batch_rows(n)):
            loss = self._epoch(X, np.asarray(y), sw)
        self.n_iter_ += 1
        self.loss_curve_.append(loss)
        self.best_loss_ = min(self.best_loss_, loss)
        return self

    # ----------------------------------------------------------- helpers
    def _split(self, X, y, sw):
        """Hold out validation_fraction (stratified for classifiers where possible):
        ``(X, y, sw)`` to train on, then the held-out rows' (:func:`_scoring.hold_out`)."""
        seed = int(self._rng.integers(0, 2**31 - 1))
        stratify = getattr(self.family, "is_classifier", False) and y.ndim == 1
        *rows, self.held_out_index_ = hold_out(X, y, sw, self.validation_fraction, seed,
                                               stratify)  # fmt: skip
        return rows

    def _epoch_over(self, chunks) -> float:
        """One epoch over the chunks of :meth:`run`: the epoch's J estimate (a chunk's, or
        the mean of the chunks' weighted by their rows)."""
        losses, rows, start = [], [], None
        for X, y, sw in chunks:
            if self._threads is None:
                # one BLAS thread where the products are too small to share
                self._threads = _fast.limit_blas_threads(self.network.layer_sizes,
                                                         self._batch_rows(X.shape[0])) or False
            if y is not getattr(self, "_last_y", None):
                self._forget_targets()  # the compiled step keeps the checked targets of y
                self._last_y = y
            if losses and start is None:
                start = self._epoch_start  # a divergence restores the epoch's first weights
            losses.append(self._epoch(X, y, sw))
            rows.append(X.shape[0])
        if not losses:
            raise ValueError("cannot train on 0 samples")
        if start is not None:
            self._epoch_start = start
        if len(losses) == 1:
            return losses[0]
        return float(np.dot(losses, rows) / np.sum(rows))

    def _diverged(self, epoch: int, what: str) -> None:
        """Restore the weights from the start of ``epoch`` (1-based) and raise."""
        self.network.set_params(self._epoch_start)
        raise TrainingDivergedError(
            f"training diverged at epoch {epoch}: {what}; the weights from the start of that "
            "epoch were kept (try a smaller learning_rate_init, standardised inputs or a prior)"
        )

    def _batch_targets(self, y, sw, n: int):
        """Targets and weights checked once per epoch for the minibatch loop.

        Returns ``(y, sw, sw_loss, trusted)``: ``sw`` is None when every weight is 1
        (multiplying by 1 and summing ones change nothing, so dropping them is exact);
        ``sw_loss`` is ``sw`` in the network's dtype, for weighing the NLL and gradient;
        ``trusted`` says the family is a :class:`Family`, whose kernel ``_loss_gradient``
        may take a batch straight away once the targets are checked here (what
        ``loss_gradient`` would check, and cast, on every batch): the family's contract
        (see ``Family.__init_subclass__``). Any other object with ``loss_gradient`` takes
        that public, checked path.
        """
        net, fam = self.network, self.family
        if sw is not None and bool(np.all(sw == 1.0)):
            sw = None
        trusted = isinstance(fam, Family)
        if trusted:
            y = fam.check_target(y)
            if y.shape[0] != n:
                trusted = False  # let loss_gradient name the mismatch
            else:
                # a zero-strided stand-in for the raw outputs: only its shape is read
                raw = np.broadcast_to(np.zeros((), net.dtype), (n, net.layer_sizes[-1]))
                fam._check_raw_columns(raw, y)
                if y.dtype.kind == "f":
                    y = y.astype(net.dtype, copy=False)
        sw_loss = None if sw is None else sw.astype(net.dtype)
        return y, sw, sw_loss, trusted

    def _epoch(self, X, y, sw) -> float:
        """One pass of minibatch steps; returns the epoch's J estimate."""
        net = self.network
        n = X.shape[0]
        if n == 0:
            raise ValueError("cannot train on 0 samples")
        fresh = self._optimizer is None
        if fresh:
            self._optimizer = make_optimizer(self.solver, net.params.size, net.dtype,
                                             **self._opt_kw)  # fmt: skip
        bs = self._batch_rows(n)
        if fresh:
            # the compiled one-pass optimiser step, relu layers and loss (numba, optional) when
            # the fit is large enough for compiling to pay; self.engine / PROBNN_ENGINE force
            # either path
            self._steps = None
            whole_step = _engine.unsupported(self) is None
            if _fast.enable_for(self._optimizer, -(-n // bs) * self.max_iter, self.engine,
                                network=net, trainer=self, batch_size=bs,
                                whole_step=whole_step):  # fmt: skip
                self._fused_loss = _fast.loss_kernel_for(self.family)
        if self._optimizer._kernels is not None:
            # the whole step compiled (probnn.network._step), where the fit allows it
            steps = getattr(self, "_steps", None)
            if steps is None or (steps is not False and steps.cap < bs):
                steps = self._steps = (  # the NumPy loop where the step cannot be compiled
                    _engine.CompiledSteps(self, _fast.kernels(), bs)
                    if _engine.unsupported(self) is None else False)  # fmt: skip
            if steps:
                loss = steps.epoch(X, y, sw)
                if loss is not None:
                    return loss
        weight_sum = float(n if sw is None else sw.sum())
        y, sw, sw_loss, trusted = self._batch_targets(y, sw, n)
        order = self._rng.permutation(n) if self.shuffle else None
        xbuf = np.empty((bs, X.shape[1]), dtype=net.dtype)
        self._epoch_start = net.copy_params()
        dt = net.dtype.type
        family, step, rng = self.family, self._optimizer.step, self._rng
        forward, backward = net._forward_train, net._backward
        loss_gradient = None
        if trusted:
            loss_gradient = getattr(self, "_fused_loss", None) or family._loss_gradient
        penalised = self._penalised
        average = self._average
        # the rate changes within an epoch only under invscaling (with the samples seen)
        per_step_lr = self.learning_rate == "invscaling"
        lr = learning_rate_at(self.learning_rate, self._lr, t=self.t_, epoch=self.n_iter_,
                              max_iter=self.max_iter, power_t=self.power_t) * self._warmup(
            -(-n // bs))  # fmt: skip
        loss_sum = 0.0
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            b = stop - start
            if order is not None:
                idx = order[start:stop]
                # mode="clip": the indices are a permutation, always in range, and "raise"
                # buffers the output (take into out= measured 41 -> 28 us per 128 x 784 batch)
                xb = np.take(X, idx, axis=0, out=xbuf[:b], mode="clip")
                yb = y[idx]
                wb = None if sw is None else sw[idx]
                wl = None if sw is None else sw_loss[idx]
            else:
                xb, yb = X[start:stop], y[start:stop]
                wb = None if sw is None else sw[start:stop]
                wl = None if sw is None else sw_loss[start:stop]
            raw = forward(xb, rng)
            if trusted:
                with _overflow_is_inf():
                    nll, g = loss_gradient(raw, yb, True)
                if wl is not None:
                    weigh_rows(nll, g, wl if wl.dtype == nll.dtype else wb.astype(nll.dtype))
            else:
                nll, g = family.loss_gradient(raw, yb, wb)
            bsum = float(b if wb is None else wb.sum())
            batch_loss = float(np.sum(nll, dtype=np.float64))
            if not math.isfinite(batch_loss):
                self._diverged(self.n_iter_ + 1, f"the NLL became {batch_loss} in a minibatch")
            loss_sum += batch_loss
            if bsum <= 0:
                continue  # an all-zero-weight batch carries no information
            g = g.reshape(raw.shape)
            g *= dt(1.0 / bsum)
            if g.dtype != net.dtype or not g.flags.c_contiguous:
                g = np.ascontiguousarray(g, dtype=net.dtype)
            grad = backward(g)
            if penalised:
                self._add_penalty_grad(grad, weight_sum)
            if per_step_lr:
                lr = learning_rate_at(self.learning_rate, self._lr, t=self.t_,
                                      power_t=self.power_t)  # fmt: skip
            step(net.params, grad, lr)
            if average is not None:
                self._update_average(net.params)
            self.t_ += b
        if not np.all(np.isfinite(net.params)):
            self._diverged(self.n_iter_ + 1, "the weights became NaN or infinite")
        return (loss_sum + self.penalty()) / weight_sum

    def _forget_targets(self) -> None:
        """The compiled step keeps the checked targets of ``y`` from one epoch to the next
        within :meth:`run`; a new run or chunk may bring new values in the same array."""
        steps = getattr(self, "_steps", None)
        if steps:
            steps._targets = None

    def _batch_rows(self, n: int) -> int:
        """Rows per minibatch for ``n`` training rows (all of them for "gd")."""
        if self.solver == "gd":
            return n
        return min(200, n) if self.batch_size == "auto" else min(int(self.batch_size), n)

    def _fit_lbfgs(self, X, y, sw) -> "Trainer":
        """L-BFGS-B on the whole objective (:func:`probnn.network.lbfgs.fit_lbfgs`)."""
        from probnn.network.lbfgs import fit_lbfgs

        # the family's compiled loss where numba is loaded already (or the engine says so)
        self._lbfgs_loss = (_fast.lbfgs_loss_for(self.family, X.shape[0], self.max_iter,
                                                 self.engine)
                            if isinstance(self.family, Family) else None)  # fmt: skip
        try:
            return fit_lbfgs(self, X, y, sw)
        finally:
            self._lbfgs_loss = None


def precompile() -> float:
    """Compile the engine's step kernels (``_fast``) into numba's on-disk cache (float32
    networks: the compiled losses and the NumPy-loss path) so that the engine's model counts no compile cost; returns
    the seconds it took (next to nothing when the cache holds them already)."""
    import time
    import warnings

    from probnn.families import get_family

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3)).astype(np.float32)
    targets = {"normal": rng.normal(size=16), "bernoulli": rng.integers(0, 2, 16),
               "categorical": np.arange(16) % 3, "poisson": rng.poisson(1.0, 16)}
    for name, y in targets.items():
        family = get_family(name)
        y = family.check_target(y)
        trainer = Trainer(MLP([3, 4, family.n_outputs(y)], random_state=0), family,
                          batch_size=8, max_iter=1, ema_decay=0.9)
        trainer.engine = "numba"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer.fit(X, y)
    return time.perf_counter() - started

