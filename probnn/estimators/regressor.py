"""``MLPRegressor``: a network whose outputs parameterise a distribution over a real target."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from probnn import defaults
from probnn._validation import InstanceOf, Options
from probnn.estimators._base import (
    BaseNetworkEstimator, central_interval_of, resolve_average, training_weights,
)
from probnn.estimators import _last_layer
from probnn.estimators._auto import resolve_training
from probnn.estimators._folds import applies as fold_rule_applies
from probnn.estimators._folds import (bound_scale, cross_validated_epochs, fold_distribution,
                                      fold_mean, fold_nll)
from probnn.estimators._regressor_file import RegressorModelFile
from probnn.estimators._regressor_units import TargetUnits
from probnn.estimators._state import register_state
from probnn.estimators._target import check_not_constant, check_resolution
from probnn.estimators._widening import scale_factor

__all__ = ["MLPRegressor"]

_STOCHASTIC = ("sgd", "adam", "adamw", "rmsprop", "gd")


_DEFAULT = defaults.REGRESSOR  # the signature's defaults, each with why


@register_state
class MLPRegressor(RegressorMixin, RegressorModelFile, TargetUnits, BaseNetworkEstimator):
    """Multilayer perceptron regressor: ``p(y | x) = family(f_w(x))``, fit by maximum likelihood.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor` whose outputs
    are the parameters of a distribution, not just a point prediction:

    ============== ======= =========================================== =====================
    family         outputs distribution                                NLL equals
    ============== ======= =========================================== =====================
    "normal"       2       Normal(mu = z1, sigma = softplus(z2))       Gaussian NLL, learned variance
    "normal-fixed" 1       Normal(mu = z, sigma fixed, see below)      half squared error
    "laplace"      2       Laplace(mu = z1, b = softplus(z2))          absolute error (+ log b)
    "poisson"      1       Poisson(lambda = exp(z))                    Poisson deviance
    "studentt"     2       StudentT(df, mu = z1, sigma = softplus(z2)) robust Student-t loss
    ============== ======= =========================================== =====================

    With "normal" the network learns how noisy ``y`` is at each ``x``
    (heteroscedastic noise), so :meth:`predict_interval` gives intervals that
    widen where the data are noisy. ``predict`` returns the predicted mean.

    With "normal-fixed" (or ``loss="squared_error"``) and no
    ``family_params={"scale": sigma}``, sigma is estimated by maximum
    likelihood: the network's mean is trained by squared error (sigma does
    not move the mean's optimum; on the standardised target it is trained
    with sigma = 1 there, i.e. ``target_scale_`` in y's units, which also
    sets how strong ``alpha`` is), then sigma is set to the MLE given that
    mean, the weighted residual RMS on the rows passed to ``fit``,
    ``scale_ = sqrt(sum_i w_i (y_i - predict(X)_i)^2 / sum_i w_i)``.
    :meth:`predict_dist`, :meth:`predict_interval`, :meth:`score_nll` and
    saved model files use it. A given scale is used unchanged, in y's units.

    The location-scale families are fit on the standardised target
    ``(y - target_shift_) / target_scale_`` (see ``standardize_target``), so
    a target in any units (house prices of order 1e5, say) trains as well as
    one of unit spread; every prediction and score is mapped back to the
    units of ``y``.

    **Defaults sized by the data.** Out of the box the training budget is counted in optimiser steps, not
    epochs, and early stopping on the validation NLL (best weights restored)
    is on wherever a validation part of useful size can be held out. For
    ``n`` rows (``n_train`` of them trained on: ``n`` minus the held-out
    ``ceil(validation_fraction * n)`` when early stopping draws them):

    - ``early_stopping="auto"``: on with a stochastic solver when
      ``validation_data`` is given or ``n >= 40``; the held-out part is
      ``validation_fraction`` of the rows but at least 20 rows (below 200
      rows at the default 0.1, 20 rows: fewer cannot judge an epoch; on 60
      to 120 rows of the search's sets this cut the validation NLL from
      tens to thousands of nats without early stopping to within about
      0.3 nats of the constant model or below it). Off for "lbfgs". Below 40
      rows (4 or more, exact targets, no warm start) the epochs are chosen by
      5 folds instead: each trained with these settings, its held-out NLL
      after every epoch; the first epoch (in optimiser steps) within one
      standard error of the least pooled NLL is that of one fit on all rows,
      whose scales are widened on the folds' held-out rows (``recalibrate``).
      A learned scale (or spread) is made one constant unless the folds find
      it better by more than one standard error; one kept is never predicted
      below its least on the training rows (``scale_floor_``; ``_folds``).
      Unchecked, that fit's learned scale collapsed (R's FoodExpenditure:
      2.4e19 nats held out; ``bench/studies/tiny_tables.md``).
    - ``batch_size="auto"``: ``n_train // 50`` clipped to [32, 200] (and to
      ``n_train``): small data get small batches, hence more steps an epoch.
    - ``max_iter="auto"``: ``ceil(100000 / steps_per_epoch)`` epochs, i.e. a
      cap of about 100,000 optimiser steps however large the data (yacht's
      250 rows: 12,500 epochs; California's 16,500: 1,350 epochs), which the
      plateau rule below ends long before but on nearly deterministic
      targets; 200 iterations for solver="lbfgs", as in scikit-learn.
    - ``n_iter_no_change="auto"``: ``max(10, ceil(1000 / steps_per_epoch))``
      epochs, a patience of about 1,000 steps.
    - ``learning_rate="plateau"``: after ``n_iter_no_change`` epochs without
      an improvement of the validation NLL by ``tol`` the rate is divided by
      5 and training goes on from the best epoch's weights, 3 times; the
      4th such plateau stops training (``probnn.defaults.PLATEAU_*``). A
      nearly deterministic target goes on improving at the lower rates
      where a single plateau stopped it (``bench/studies/stopping_rule.md``).
      The rate first rises linearly over about 1,000 steps (one value an
      epoch), and the first plateau is counted from the full rate on.
    - with a stochastic solver (not "lbfgs") and a location-scale family
      ("normal", "normal-fixed", "laplace", "studentt") the network starts as
      the best constant model (output-layer weights 0,
      biases at the intercept-only MLE: every row's scale at the training
      spread), and early stopping keeps those starting weights unless an
      epoch beats them on the validation rows.
    - ``ema_decay="auto"``: with a stochastic solver the model is the moving
      average of the weights over about the last 200 optimiser steps (decay
      0.995 per step; Polyak averaging): it scores each epoch on the
      validation rows, early stopping keeps it, and ``fit`` ends with it.
    - ``hidden_layer_sizes=(50, 50)``, ``learning_rate_init=0.01`` and an
      L2 prior of ``alpha=0.01`` (divided by the number of training rows, so
      it matters on small data and fades on large). The rate is high for
      Adam; the average removes the noise of its steps (without the average,
      0.003 is the better rate).

    The values were chosen on validation fifths of the training rows of the
    UCI protocol's concrete, energy and yacht sets (never their test rows;
    ``bench/studies/scenario5_search.md``) and checked on Bike Sharing and
    California housing, which took no part in choosing them
    (``bench/studies/scenario5_check.md``). The fitted ``batch_size_``,
    ``max_iter_``, ``n_iter_no_change_``, ``early_stopping_`` and ``ema_decay_`` say what a
    fit used. Give numbers (and ``early_stopping=True`` / ``False``) to
    choose yourself; ``max_iter`` is always a cap on epochs. On tiny data
    (a few hundred rows or fewer) a learned variance can collapse onto the
    training points, and early stopping on 20 rows is a noisy guard: compare
    with ``family="normal-fixed"`` there, or pass ``validation_data``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(50, 50)
    alpha : float, default=0.01
    learning_rate_init : float, default=0.01
    learning_rate : str, default="plateau"
        "plateau": the rate divided by 5 on each of 3 plateaus, then stop (see
        above); "constant", "invscaling", "cosine" and "adaptive" as in
        :class:`probnn.MLPClassifier` and scikit-learn.
    batch_size : int or "auto", default="auto"
    max_iter : int or "auto", default="auto"
    early_stopping : bool or "auto", default="auto"
    n_iter_no_change : int or "auto", default="auto"
    ema_decay : float in (0, 1), None or "auto", default="auto"
        See "Defaults sized by the data" above. ``ema_decay`` is the decay per
        step of the weights' moving average (None: the last step's weights;
        "auto": 0.995 with a stochastic solver, None with "lbfgs"); it applies
        to ``fit``, not ``partial_fit``.
    activation, solver, power_t, shuffle, random_state, tol,
    verbose, warm_start, momentum, nesterovs_momentum,
    validation_fraction, beta_1, beta_2, epsilon, max_fun
        As in :class:`probnn.MLPClassifier` and scikit-learn.
    loss : {"squared_error", "poisson"} or None, default=None
        scikit-learn's name of the loss; when given it chooses the family
        ("squared_error" -> "normal-fixed", "poisson" -> "poisson") and
        ``family`` must be left at its default.
    family : str or None, default=None
        A registered regression family (``probnn.families.FAMILIES``; a family
        added with ``register_family`` works too). None: the registry's default
        for real targets, "normal" with a learned scale.
    family_params : dict, optional
        e.g. ``{"df": 4}`` for "studentt", ``{"scale": 2.0}`` for "normal-fixed"
        (in y's units; without it "normal-fixed" estimates sigma, see above).
    prior : {"gaussian", "laplace", None}, default="gaussian"
        Prior on the coefficient matrices: the fit is the MAP estimate, with
        penalty ``-log prior(W)`` ("gaussian": L2, ``alpha = 1 / prior_scale**2``;
        "laplace": L1, ``alpha = 1 / prior_scale``), divided by the total
        sample weight (the number of training rows when unweighted), so a
        weight of 2 is the same objective as a repeated row. When the target is
        standardised the prior acts on the weights of the standardised
        problem (those that predict ``(y - target_shift_) / target_scale_``),
        so its strength does not depend on the units of ``y``.
    prior_scale : float, optional
        Overrides ``alpha`` when given.
    dropout : float, default=0.0
    dtype : {"float32", "float64"}, default="float32"
    progress : bool or float, default=False
        Show a progress bar over epochs: True once training has lasted a
        second (short fits stay silent), a number after that many seconds
        (0: at once).
    standardize_target : bool or "auto", default="auto"
        Whether to fit on the standardised target
        ``(y - target_shift_) / target_scale_``, where the shift and scale are
        the (sample-weighted) mean and standard deviation of the training
        ``y`` (a scale of 0 is taken as 1). A density changes units with its
        Jacobian: ``p(y) = p_std((y - shift) / scale) / scale``, so the NLL
        of ``y`` is the standardised NLL plus ``log(target_scale_)``.

        - "auto": standardise for the location-scale families "normal",
          "normal-fixed", "laplace" and "studentt"; never for "poisson",
          whose counts must stay non-negative integers (its log link already
          copes with their scale).
        - True: as "auto", and a ``ValueError`` for "poisson".
        - False: fit on ``y`` as given.

        It changes how the fit is computed, not the model: a fixed scale in
        ``family_params`` (``{"scale": sigma}`` for "normal-fixed" or
        "laplace") is in the units of ``y``, and the network is trained with
        ``sigma / target_scale_``; an estimated sigma ("normal-fixed" without
        a scale) is in the units of ``y`` too. Everything the estimator returns is in the units of
        ``y``: ``predict``, ``predict_dist`` (``loc * target_scale_ +
        target_shift_`` and ``scale * target_scale_``), ``predict_interval``,
        ``score_nll`` / ``nll_scorer``, and ``loss_curve_``, ``best_loss_``,
        ``validation_scores_``, ``best_validation_score_`` (the trainer's
        values plus ``log(target_scale_)``; the prior's penalty is unchanged),
        so these are comparable between ``standardize_target`` settings.
        With sigma estimated these curves are those of training, whose sigma
        is ``target_scale_`` (1 when not standardised), not ``scale_``. Only
        ``verbose`` and ``progress`` print the trainer's own, standardised
        loss. ``warm_start`` and ``partial_fit`` keep the shift and scale of
        the first fit, as they keep its weights.

    recalibrate : bool or "auto", default="auto"
        After training, multiply every predicted scale by one factor,
        ``scale_factor_``, fitted on the validation rows (those early stopping
        held out, or ``validation_data``; see ``recalibrate_estimate``): a single
        network's learned variance is usually too small on new rows, and one
        number fitted on rows it was not trained on undoes most of that
        (:func:`probnn.recalibrate` does the same on rows you choose). The
        factor only widens: 1 if the estimate is below 1 (on a tenth of a few
        hundred rows, sharpening on their luck costs far more on new rows than
        it gains). For a Normal the maximum-likelihood factor is
        ``sqrt(mean(((y - loc) / scale) ** 2))`` over those rows. Measured on
        the UCI protocol, 20 splits, paired with
        ``recalibrate=False`` (``bench/studies/scenario5_recalibrate.md``, before
        the averaged weights): test NLL 3.23 -> 3.12 on concrete, 1.16 -> 0.75
        on yacht; with the averaged weights, on validation rows
        (``scenario5_search.md``): concrete 3.076 -> 3.028, energy and yacht
        within 0.02 either way.

        - "auto": for the families whose network outputs the scale ("normal",
          "studentt", "mixture-normal"; not the fixed-scale ones), and for the
          positive families with a learned spread (``Family.spread_power``:
          "log-normal", "log-logistic", "weibull", whose ``log y`` scale is
          multiplied, the median kept; "gamma", whose standard deviation is, the
          mean kept), when training held out validation rows (or below 40 rows
          the folds did, above); otherwise ``scale_factor_`` is 1.
        - True: as "auto", and a ``ValueError`` where there are no validation
          rows or no learned scale.
        - False: ``scale_factor_`` is 1.

        ``partial_fit`` sets ``scale_factor_`` to 1 (the network has moved on).
    recalibrate_estimate : {"posterior", "mle"}, default="posterior"
        "mle": the maximum-likelihood factor. "posterior": its square moved to
        the posterior mean given the n validation rows, ``n / (n - 2)`` times
        it (for a Normal ``sum(z ** 2) / (n - 2)``, the factor of least expected
        NLL on new rows under the prior ``1 / factor**2``; n the weights'
        effective count): a factor too small costs more than one too large, and
        on a few dozen rows the estimate is uncertain. On validation rows of the
        UCI sets it gained 0.002-0.016 nats (``bench/studies/single_overconfidence.md``).
    predictive : {"auto", "last-layer", "plug-in"}, default="auto"
        "last-layer": where the family's linearised predictive is closed form (Normal,
        Laplace, Student-t) the output layer's weight uncertainty is added to
        ``predict_dist`` and the scores: a Laplace posterior over those weights, fitted
        with the network and stored (:mod:`probnn.estimators._last_layer`;
        ``bench/studies/uci_single.md``). "auto": the same where the network outputs the
        scale too ("normal", "laplace", "studentt"). Where that predictive is a Normal
        whose scales carry a factor fitted with ``recalibrate_estimate="posterior"`` on
        ``n`` held-out rows, the factor is integrated out as well: a Student-t of ``n``
        degrees of freedom with the Normal's variance (``scale_factor_rows_``;
        :func:`probnn.estimators._widening.student_t_predictive`). "plug-in": the
        network's own distribution at its fitted weights.
    Attributes
    ----------
    coefs_, intercepts_, loss_curve_, best_loss_, validation_scores_,
    best_validation_score_, n_iter_, t_, n_layers_, out_activation_,
    n_features_in_, feature_names_in_
        As in scikit-learn.
    n_outputs_ : int
        Number of raw network outputs (2 for families with a learned scale).
    family_ : Family
        The family of ``y``, with its parameters in the units of ``y``.
    scale_ : float or None
        The fixed scale of a fixed-scale family ("normal-fixed": sigma, the
        given one or the maximum-likelihood estimate, the weighted residual
        RMS on the rows of the last ``fit`` / ``partial_fit`` call, floored
        at ``sqrt(eps) * target_scale_``), in the units of ``y``; None for
        families that learn their scale per row.
    target_shift_, target_scale_ : float
        The target is standardised as ``(y - target_shift_) / target_scale_``
        for the network; 0 and 1 when it was not (``standardize_target``).
        The network's raw outputs parameterise the distribution of the
        standardised target; ``coefs_`` and ``intercepts_`` are its weights.
    converged_ : bool
    batch_size_, max_iter_, n_iter_no_change_ : int
    early_stopping_ : bool
    ema_decay_ : float or None
        The settings the last fit trained with ("auto" resolved).
    scale_factor_ : float
        The factor every predicted scale is multiplied by (``recalibrate``);
        1 when none was fitted.
    scale_factor_rows_ : float or None
        The effective number of held-out rows that factor's posterior was fitted on
        (``recalibrate_estimate="posterior"``), the Student-t's degrees of freedom of
        ``predictive_ == "last-layer"`` for a Normal; None otherwise.
    dispersion_factor_ : float
        The factor every predicted negative-binomial dispersion is multiplied by
        (its own, or the count law's of a hurdle or zero-inflated family), at least
        1; set after the fit by ``select_model(dispersion=True)``
        (:func:`probnn.estimators._widening.cross_fitted_dispersion`), 1 otherwise.
    scale_floor_ : float or None
        Below 40 rows, the least raw scale output on the training rows, under
        which none is predicted; None elsewhere.
    predictive_ : {"last-layer", "plug-in"}
        What ``predict_dist`` gives; ``last_layer_prior_precision_`` the evidence's lambda.
    """

    _parameter_constraints: dict = {
        **BaseNetworkEstimator._parameter_constraints,
        "recalibrate": [Options("auto", True, False)],
        "recalibrate_estimate": [Options("posterior", "mle")],
        "predictive": [Options("auto", "last-layer", "plug-in")],
        # "auto": sized by the data (the rule above)
        **{name: [Options("auto"), *BaseNetworkEstimator._parameter_constraints[name]]
           for name in ("max_iter", "n_iter_no_change", "early_stopping")},
        "standardize_target": [Options("auto", True, False)],
        # which names: the registry, read when fitting (a family may be registered later)
        "family": [Options(None), InstanceOf(str, "a family name")],
        "loss": [Options(None), InstanceOf(str, "a scikit-learn loss name")],
    }  # fmt: skip

    def __init__(
        self,
        hidden_layer_sizes=_DEFAULT["hidden_layer_sizes"],
        activation=_DEFAULT["activation"],
        *,
        loss=None,
        solver=_DEFAULT["solver"],
        alpha=_DEFAULT["alpha"],
        batch_size=_DEFAULT["batch_size"],
        learning_rate=_DEFAULT["learning_rate"],
        learning_rate_init=_DEFAULT["learning_rate_init"],
        power_t=_DEFAULT["power_t"],
        max_iter=_DEFAULT["max_iter"],
        shuffle=_DEFAULT["shuffle"],
        random_state=None,
        tol=_DEFAULT["tol"],
        verbose=False,
        warm_start=False,
        momentum=_DEFAULT["momentum"],
        nesterovs_momentum=_DEFAULT["nesterovs_momentum"],
        early_stopping=_DEFAULT["early_stopping"],
        validation_fraction=_DEFAULT["validation_fraction"],
        beta_1=_DEFAULT["beta_1"],
        beta_2=_DEFAULT["beta_2"],
        epsilon=_DEFAULT["epsilon"],
        n_iter_no_change=_DEFAULT["n_iter_no_change"],
        max_fun=_DEFAULT["max_fun"],
        ema_decay=_DEFAULT["ema_decay"],
        family=None,
        family_params=None,
        prior=_DEFAULT["prior"],
        prior_scale=None,
        dropout=_DEFAULT["dropout"],
        dtype=_DEFAULT["dtype"],
        progress=False,
        standardize_target=_DEFAULT["standardize_target"],
        recalibrate=_DEFAULT["recalibrate"],
        recalibrate_estimate=_DEFAULT["recalibrate_estimate"],
        predictive=_DEFAULT["predictive"],
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.ema_decay = ema_decay
        self.family = family
        self.family_params = family_params
        self.prior = prior
        self.prior_scale = prior_scale
        self.dropout = dropout
        self.dtype = dtype
        self.progress = progress
        self.standardize_target = standardize_target
        self.recalibrate = recalibrate
        self.recalibrate_estimate = recalibrate_estimate
        self.predictive = predictive

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
            validation_data: tuple | None = None,
            validation_sample_weight: ArrayLike | None = None):
        """Fit by maximum likelihood (or MAP with a prior).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), or (n_samples, 2)
            Targets in the family's support (e.g. non-negative integers for
            "poisson"); others are rejected naming the values and rows. Shape
            (n_samples, 2) holds censored and interval targets ``(lower, upper)``:
            equal bounds are an exact value, ``upper = inf`` right-censored,
            ``lower = -inf`` (or the support's lower end, e.g. 0) left-censored,
            otherwise interval-censored; each row is scored by ``-log P(lower < Y <=
            upper)`` (``Family.check_interval_target``). A family without a cdf kernel
            (``family.models_intervals`` false) refuses them, naming itself.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each row (None: all 1). The objective is
            ``(sum_i s_i nll_i + penalty) / sum_i s_i``, so with
            solver="lbfgs" or "gd" (full batch) an integer weight k is the
            same objective, and up to rounding the same fit, as k copies of
            the row (0: the row left out). On the minibatch solvers ("adam",
            "adamw", "sgd", "rmsprop") rows are drawn into minibatches
            uniformly whatever their weight, and a weight scales the row's
            share of its minibatch's weighted mean NLL: weight 2 equals a
            duplicated row in expectation over the shuffles, not step for
            step. With ``early_stopping`` the held-out rows keep their
            weights (the validation score is their weighted mean NLL).
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), optional
            Rows to validate on, kept out of training: after every epoch their
            (weighted) mean NLL in y's units is appended to
            ``validation_scores_``. With ``early_stopping`` they replace the
            random held-out ``validation_fraction`` (every row of ``X`` is
            trained on), training stops when their NLL has not improved for
            ``n_iter_no_change`` epochs and the weights of the best epoch are
            restored; without it they are only recorded. ``y_val`` is
            standardised with the training ``y``'s shift and scale. Needs a
            stochastic solver (not "lbfgs").
        validation_sample_weight : array-like of shape (n_val,), optional
            Weights of the validation rows (or give them as the tuple's third item).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False,
                         validation=(validation_data, validation_sample_weight))

    def fit_chunks(self, chunks, *, validation=None, n_rows: int | None = None,
                   on_epoch=None, **first_call):  # fmt: skip
        """Fit on training rows that come in chunks (:meth:`BaseNetworkEstimator.fit_chunks
        <probnn.estimators._base.BaseNetworkEstimator.fit_chunks>`). On ``n_rows`` too few
        to hold validation rows out, where ``fit`` chooses its epochs by folds
        (``estimators._folds``: ``early_stopping="auto"``, no ``validation``), the chunks
        (fewer than ``2 * AUTO_MIN_VALIDATION_ROWS`` rows) are gathered and fitted by
        ``fit``: a table streamed is fitted as in memory, not for its whole budget with
        nothing held out (6 rows: a held-out NLL of 1.3e6 where ``fit`` gives 2.78).
        ``target_scaling`` is then the rows' own, as ``fit``'s.
        """
        if validation is None and n_rows is not None and fold_rule_applies(
                self, int(n_rows), None, False, False, None):  # fmt: skip
            pieces = list(chunks())
            y = np.concatenate([np.asarray(p[1]) for p in pieces])
            if y.ndim == 1:  # (interval targets: no folds, as in memory)
                weighed = [len(p) > 2 and p[2] is not None for p in pieces]
                w = None if not any(weighed) else np.concatenate([
                    np.asarray(p[2], dtype=np.float64) if has else np.ones(np.shape(p[1])[0])
                    for p, has in zip(pieces, weighed)])  # fmt: skip
                return self.fit(np.concatenate([p[0] for p in pieces]), y, w)
        return super().fit_chunks(chunks, validation=validation, n_rows=n_rows,
                                  on_epoch=on_epoch, **first_call)  # fmt: skip

    @available_if(lambda est: est._check_stochastic())
    def partial_fit(self, X, y, sample_weight=None, *, target_scaling=None):
        """One pass of the optimiser over a chunk of data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
        target_scaling : tuple (shift, scale), optional
            On the call that starts a network: standardise the target with these (the
            mean and standard deviation of all the rows to come, e.g. from a first
            pass over a streamed table) instead of this chunk's. Ignored when the
            family is not standardised, and on later calls (they keep the first's).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=True, target_scaling=target_scaling)

    def _check_stochastic(self) -> bool:
        if self.solver not in _STOCHASTIC:
            raise AttributeError(
                f"partial_fit needs a stochastic solver (one of {', '.join(_STOCHASTIC)}); "
                f"found solver={self.solver!r}"
            )
        return True

    def _fit(self, X, y, sample_weight, incremental: bool, validation=(None, None),
             target_scaling=None, stream=None):  # fmt: skip
        from probnn.families import get_family
        from probnn.families._affine import AffineTarget

        from probnn.families._interval import (IntervalTargets, check_has_maximum,
                                               interval_points, is_interval_target)

        self._validate_params()
        reset = not (incremental and hasattr(self, "family_"))
        # (lower, upper) targets: censored and interval observations (bounds may be inf)
        interval = is_interval_target(y)
        if interval:
            X = self._validate_X(X, y, reset)
        else:
            X, y = self._validate_X_y(X, y, reset=reset, multi_output=False)
        family = get_family(self._family_name(), **self._family_params()) if reset else self.family_
        if reset:  # a given scale whose square leaves float64: refused as --family-param's
            family.check_given_params()
        if family.is_classifier:
            raise ValueError(
                f"MLPRegressor needs a regression family; found the classifier family "
                f"{family.name!r} (use MLPClassifier)"
            )
        y = family.check_interval_target(y) if interval else family.check_target(y)
        if reset and stream is None and not hasattr(self, "_fold_on_epoch"):
            # a mixture of more components than the rows given (not a stream's first chunk,
            # nor a fold's share of them: _folds)
            getattr(family, "check_n_rows", lambda n_rows: None)(X.shape[0])
        w = training_weights(sample_weight, X.shape[0])
        if not (incremental or interval or stream is not None or hasattr(self, "_fold_on_epoch")):
            check_not_constant(y, w, family)  # (a chunk, a fold's share may be constant)
        if interval and not incremental and stream is None:  # (a chunk is not all the rows)
            check_has_maximum(y, w)
        if interval:
            # the target's location and spread from one value per row (a start, not the fit)
            points, kept = interval_points(y, family.support)
            y_points, w_points, X_points = points, w[kept], X[kept]
        else:
            y_points, w_points, X_points = y, w, X
        # a table too small to hold validation rows out: its epochs and widening by folds
        folds = cross_validated_epochs(self, X, y, w) if fold_rule_applies(
            self, X.shape[0], validation[0], interval, incremental, stream) else None
        shift, scale = self._target_scaling(X_points, y_points, w_points, family, incremental,
                                            target_scaling)  # fmt: skip
        head = self._training_head(family, scale)
        constant = None
        if reset or not hasattr(self, "_network"):  # interval targets: by their points
            constant = check_resolution(AffineTarget(head, shift, scale).standardise(y_points),
                                        w_points, head, self._np_dtype(), (shift, scale)
                                        if self._standardizes(family) else None)  # fmt: skip
        # an exact row's density carries the standardisation's Jacobian, a censored row's
        # probability does not: the head adds it to the exact rows (curves in y's units)
        self._jacobian_in_head = interval
        if interval:
            head = IntervalTargets(head, exact_log_jacobian=math.log(scale))
        standardisation = AffineTarget(head, shift, scale)
        y_fit = standardisation.standardise(y)
        rows = self._validation_rows(*validation)
        if rows is not None:
            Xv, yv, wv = rows
            yv = head.check_target(np.column_stack([yv, yv]) if interval and np.ndim(yv) == 1
                                   else yv) if interval else family.check_target(yv)  # fmt: skip
            rows = (Xv, standardisation.standardise(yv), wv)
        fitted = {"family_": family, "target_shift_": shift, "target_scale_": scale}
        if stream is not None:  # fit_chunks: every chunk prepared as this first one

            def prepare(Xc, yc, weights=True):
                Xc, yc = self._validate_X_y(Xc, yc, reset=False, multi_output=False)
                yc = standardisation.standardise(family.check_target(yc))
                return Xc, yc, training_weights(None, Xc.shape[0]) if weights else None

            stream = self._stream_of(stream, X.shape[0], prepare,
                                     lambda Xv, yv: prepare(Xv, yv, weights=False))  # fmt: skip
            rows = None if callable(stream[1]) else stream[1]
        # the check's constant model is the output layer's start when fitted to the same
        # float64 targets and weights under the same head (not interval targets' points)
        same = not interval and np.asarray(y_fit).dtype == np.float64
        self._fit_network(X, y_fit, w, head, incremental, fitted=fitted, validation=rows,
                          stream=stream, constant=constant if same else None,
                          on_epoch=folds.stop if folds else getattr(self, "_fold_on_epoch", None))
        if interval:
            self._head = head.base  # the network's outputs, whatever the targets' layout
        # a tiny table (_folds): one scale for every x, or the learned one bounded below
        self.scale_floor_ = None if folds is None else bound_scale(self, folds, X, y_fit, w, head)
        self.fold_members_ = list(folds.members) if folds else []  # the predictive's (_folds)
        if self._estimates_params(family):
            self._estimate_params(X, y_fit, w, head, family)
        self.scale_factor_, self.scale_factor_rows_ = (
            (1.0, None) if incremental else (folds.factor, None) if folds
            else scale_factor(self, head, X, y_fit, w, rows))  # fmt: skip
        self.dispersion_factor_ = 1.0  # (set after the fit: _widening.set_dispersion_factor)
        self._set_predictive()
        self.scale_ = self.family_.get_params().get("scale")
        # a tiny table's fold mixture already carries the weights' uncertainty (_folds)
        _last_layer.fit_posterior(self, X, y_fit, w,
                                  not (incremental or interval or stream or self.fold_members_))
        return self

    def _validate_X(self, X, y, reset: bool):
        """Features checked alone (interval targets hold infinite bounds, which
        scikit-learn's target check refuses); one row per target row."""
        X = validate_data(self, X, reset=reset, dtype=self._np_dtype(), ensure_min_samples=1)
        n_y = np.asarray(y).shape[0]
        if n_y != X.shape[0]:
            raise ValueError(
                f"X and y must have the same number of rows; found {X.shape[0]} and {n_y}"
            )
        return np.ascontiguousarray(X)

    _start_at_constant = True

    def _resolve_training(self, kwargs: dict, n_samples: int, validation) -> dict:
        """The "auto" settings for ``n_samples`` training rows (the rule in the class docstring:
        ``estimators._auto.resolve_training``), the weights' average resolved."""
        return resolve_average(resolve_training(kwargs, n_samples, validation))

    # -------------------------------------------------------------- predict
    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted mean of ``y`` given ``X``.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        raw = self._raw(X)  # first: raises NotFittedError on an unfitted estimator
        return fold_mean(self, X, raw)

    def predict_dist(self, X: ArrayLike):
        """The predicted distribution of ``y`` for each row of ``X``.

        Returns
        -------
        Distribution
            The family's distribution with batch shape (n_samples,), e.g.
            ``Normal(loc, scale)``, in the units of ``y`` (also when the
            target was standardised for training); with ``predictive_ ==
            "last-layer"`` its scale widened by the output layer's weight uncertainty;
            below the early-stopping threshold a ``Mixture`` of it and the fold networks'
            (``_folds``).
        """
        dist = _last_layer.predictive_dist(self, X)
        return fold_distribution(self, X, self._raw(X)) if dist is None else dist

    def predict_interval(self, X: ArrayLike, coverage: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Central predictive interval holding ``y`` with probability ``coverage``.

        The bounds are the predicted distribution's quantiles at
        ``(1 - coverage) / 2`` and ``(1 + coverage) / 2``; for a discrete family the
        tail mass one end leaves unspent goes to the other end
        (:func:`probnn.metrics.central_interval`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        coverage : float in (0, 1), default=0.9

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,)
        """
        return central_interval_of(self.predict_dist(X), coverage)

    def _likelihood_parts(self) -> tuple:
        pred = self._predictive  # trained on (y - shift) / scale; NLL in y's units + log scale
        return (pred, pred.base, lambda y: np.asarray(pred.standardise(pred.base.check_target(y)),
                                                      dtype=np.float64), pred.log_scale)  # fmt: skip

    def encode_target(self, y: ArrayLike) -> np.ndarray:
        """``y`` checked against the family's support, float64 of shape (n_samples,)."""
        return np.asarray(self.family_.check_target(y), dtype=np.float64)

    def _nll_per_row(self, X, y) -> np.ndarray:
        check_is_fitted(self, "coefs_")
        from probnn.families._interval import is_interval_target

        raw = self._raw(X)
        if is_interval_target(y):  # (lower, upper): -log P(lower < Y <= upper)
            y = self.family_.check_interval_target(y)
        else:
            y = self.family_.check_target(y)
        if raw.shape[0] != y.shape[0]:
            raise ValueError(
                f"X and y must have the same number of rows; found {raw.shape[0]} and {y.shape[0]}"
            )
        dist = None if y.ndim == 2 else _last_layer.predictive_dist(self, X, float64=True)
        if dist is not None:
            return -np.asarray(dist.log_prob(y), dtype=np.float64)
        # -log p(y) = -log p_std((y - shift) / scale) + log(scale)
        return fold_nll(self, X, raw, y)

