"""Logic shared by the network estimators: parameters, training, model-file state.

An estimator here is a thin layer over the engine: it validates the data,
picks a likelihood family for the target, builds a :class:`probnn.network.MLP`
whose raw outputs parameterise that family's distribution, and hands both to a
:class:`probnn.network.training.Trainer`, which chooses the weights by
minimising the mean negative log-likelihood plus the prior's penalty.

Priors (maximum a posteriori)
-----------------------------
The penalty is ``-log prior(W)`` of the coefficient matrices (biases are left
free), divided by the total sample weight ``sum_i s_i`` (``n_samples`` when
unweighted) so that it sits next to the weighted *mean* NLL and a weight of k
is the same objective as k copies of the row:

* ``prior="gaussian"``: ``W_ij ~ Normal(0, prior_scale)``, penalty
  ``alpha/2 * ||W||^2`` with ``alpha = 1 / prior_scale**2`` (L2, weight decay);
* ``prior="laplace"``: ``W_ij ~ Laplace(0, prior_scale)``, penalty
  ``alpha * ||W||_1`` with ``alpha = 1 / prior_scale`` (L1);
* ``prior=None`` (or ``alpha=0``): no penalty, plain maximum likelihood.

When ``prior_scale`` is given it overrides ``alpha``. This is scikit-learn's
``alpha`` exactly: its MLP minimises ``mean loss + alpha/2 ||W||^2 / sum(s)``
too (for "lbfgs"; it divides by the batch's weight on its minibatch solvers).
On probnn's minibatch solvers a weight scales the row's share of its batch's
weighted mean, rows being drawn uniformly: weight 2 equals a repeated row in
expectation, not step for step (see :mod:`probnn.network.training`).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from probnn import defaults
from probnn._validation import (
    POSITIVE, InstanceOf, Interval, Options, check_params, check_sample_weight, weighted_mean,
)
from probnn.network.mlp import MLP_CONSTRAINTS
from probnn.network.training import TRAINER_CONSTRAINTS

__all__ = ["BaseNetworkEstimator", "FITTED_ARRAYS", "FITTED_SCALARS", "FittedNetwork",
           "training_weights"]

_DTYPES = {"float32": np.float32, "float64": np.float64}

# Fitted attributes the model file carries as metadata (everything else is rebuilt).
FITTED_SCALARS = ("n_iter_", "t_", "best_loss_", "best_validation_score_", "converged_",
                  "batch_size_", "max_iter_", "n_iter_no_change_", "early_stopping_",
                  "ema_decay_", "scale_factor_")
FITTED_ARRAYS = ("loss_curve_", "validation_scores_")

# The Trainer's keyword arguments that are the estimator's own parameters.
_TRAINER_PARAMS = (
    "solver", "learning_rate_init", "learning_rate", "power_t", "batch_size", "momentum",
    "nesterovs_momentum", "beta_1", "beta_2", "epsilon", "shuffle", "max_iter", "tol",
    "n_iter_no_change", "early_stopping", "validation_fraction", "max_fun", "ema_decay",
    "random_state", "progress", "verbose",
)  # fmt: skip


class FittedNetwork(NamedTuple):
    """What a wrapper that reasons about a fitted network's weights reads of its estimator.

    :meth:`BaseNetworkEstimator.fitted_network` returns it; ``probnn.laplace`` reads the
    estimator through it only, never through its private attributes.

    Attributes
    ----------
    network : MLP
        The fitted network; its parameters are the estimator's own (read, do not modify).
    family : Family
        Raw outputs ``(n, n_outputs)`` -> the predicted distribution, in the units of the
        targets :meth:`~BaseNetworkEstimator.encode_target` returns (a regressor's target
        standardisation and recalibrated spread included; a classifier's ``family_``).
    training_family : Family
        Raw outputs -> the likelihood the network was trained on (a regressor's family on
        its standardised target; a classifier's ``family_``).
    training_targets : callable
        ``y`` (as given to ``fit``) -> the targets ``training_family`` scores, (n,) or (n, k).
    log_scale : float
        Added to each row's training NLL gives its NLL in ``y``'s units (the log of a
        regressor's target scale; 0 for classifiers).
    multilabel : bool
        A classifier fitted on a 0/1 matrix of labels.
    prior : {"gaussian", "laplace"} or None
    alpha : float
        The prior's strength on the scale of the summed NLL: the objective is
        ``(sum_i w_i nll_i + alpha / 2 ||W||^2) / sum_i w_i`` for the Gaussian prior.
    scale_floor : float or None
        The least raw scale output (column 1) the estimator predicts (a tiny table's
        regressor: ``scale_floor_``); None: no floor.
    """

    network: Any
    family: Any
    training_family: Any
    training_targets: Callable[[Any], np.ndarray]
    log_scale: float
    multilabel: bool
    prior: str | None
    alpha: float
    scale_floor: float | None = None


def resolve_average(kwargs: dict) -> dict:
    """``kwargs`` with ``ema_decay="auto"`` resolved: ``probnn.defaults.AUTO_EMA_DECAY`` with a
    stochastic solver, None (no average) with "lbfgs"."""
    if isinstance(kwargs["ema_decay"], str):
        kwargs["ema_decay"] = defaults.AUTO_EMA_DECAY if kwargs["solver"] != "lbfgs" else None
    return kwargs


#: The least largest sample weight and the most total weight a fit takes: float64's square
#: roots of its smallest normal and its largest number, where the squares of the weights and
#: of their total stay normal floats (the weights' effective number of rows
#: ``(sum w)^2 / sum w^2``); as for a fixed ``scale`` (``families.normal``).
WEIGHT_RANGE = (math.sqrt(float(np.finfo(np.float64).tiny)),
                math.sqrt(float(np.finfo(np.float64).max)))


def training_weights(sample_weight: ArrayLike | None, n_samples: int) -> np.ndarray:
    """Checked sample weights (ones if None) with a positive total.

    Raises
    ------
    ValueError
        If the shape is wrong, a weight is negative or not finite, or all are zero.
    """
    w = check_sample_weight(sample_weight, n_samples)
    with np.errstate(over="ignore"):  # an overflowing total is refused below
        total = float(w.sum())
    if not total > 0:
        raise ValueError(
            f"sample_weight must not be all zero (nothing to learn from); found zero "
            f"weight on all {n_samples} rows"
        )
    low, high = WEIGHT_RANGE
    largest = float(w.max())
    if not (low <= largest and total <= high):
        # the fit's squares of weights and of their total (the effective number of rows,
        # (sum w)^2 / sum w^2) overflow above, underflow below
        raise ValueError(
            f"sample_weight must total at most {high:.3g} and its largest be at least "
            f"{low:.3g}, so that a fit's squares of weights and of their total stay in "
            f"float64's range; found total {total:.3g}, largest {largest:.3g}: the weights "
            f"count rows against the prior (alpha / sum of weights, as scikit-learn's), so "
            f"divide them by a constant c and alpha by the same c for the same fit"
        )
    return w


def weight_unit(sample_weight: np.ndarray | None) -> float:
    """The power of 2 that brings the largest of ``sample_weight`` (shape (n,), checked,
    positive total) into [1, 2); 1 for None. Dividing the weights and the prior's ``alpha`` by
    it leaves the training objective ``(sum w nll + alpha P) / sum w`` as it was, exactly."""
    if sample_weight is None:
        return 1.0
    largest = float(np.max(sample_weight))
    return math.ldexp(1.0, math.frexp(largest)[1] - 1) if largest > 0 else 1.0


def _positive_integers(sizes) -> bool:
    return all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1
               for s in sizes)  # fmt: skip


class BaseNetworkEstimator(BaseEstimator):
    """Shared machinery of :class:`MLPClassifier` and :class:`MLPRegressor`.

    Subclasses define ``__init__`` (scikit-learn reads the parameters from its
    signature), ``_encode_target`` (targets -> what the family expects, and the
    family), and their prediction methods.
    """

    # ------------------------------------------------------------ parameters
    # What each setting may be, checked once at the start of fit / partial_fit
    # (:meth:`_validate_params`), before the data is read; the network's and the
    # trainer's entries are theirs (one declaration each). Subclasses extend it.
    _parameter_constraints: dict = {
        **{name: TRAINER_CONSTRAINTS[name] for name in _TRAINER_PARAMS},
        "prior": TRAINER_CONSTRAINTS["prior"],
        "alpha": TRAINER_CONSTRAINTS["alpha"],
        "activation": MLP_CONSTRAINTS["activation"],
        "dropout": MLP_CONSTRAINTS["dropout"],
        "hidden_layer_sizes": [
            Interval(1, closed="left", integer=True),
            InstanceOf((tuple, list, np.ndarray), "a sequence of integers >= 1",
                       test=_positive_integers),
        ],
        "prior_scale": [Options(None), POSITIVE],
        "dtype": [Options(*_DTYPES), Options(*_DTYPES.values())],
        "family_params": [Options(None), InstanceOf(dict, "a dict")],
        "warm_start": [Options(True, False)],
        "ema_decay": [Options("auto"), *TRAINER_CONSTRAINTS["ema_decay"]],
    }

    def _validate_params(self) -> None:
        """Check every setting against :attr:`_parameter_constraints` (``ValueError``)."""
        check_params(self.get_params(deep=False), self._parameter_constraints,
                     type(self).__name__)  # fmt: skip

    def _np_dtype(self) -> type:
        dtype = self.dtype
        return _DTYPES[dtype] if isinstance(dtype, str) else dtype

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = [sizes]
        return [int(s) for s in sizes]

    def _prior_alpha(self) -> tuple[str | None, float]:
        """The prior's name and its strength ``alpha`` (0 means maximum likelihood)."""
        if self.prior is None:
            return None, 0.0
        if self.prior_scale is not None:
            scale = float(self.prior_scale)
            # -log Normal(w; 0, s) = w^2 / (2 s^2) + const; -log Laplace(w; 0, s) = |w| / s + const
            alpha = 1.0 / scale**2 if self.prior == "gaussian" else 1.0 / scale
        else:
            alpha = float(self.alpha)
        return (self.prior if alpha > 0 else None), alpha

    def _is_unpenalised(self) -> bool:
        return self._prior_alpha()[0] is None

    def _family_params(self) -> dict:
        return dict(self.family_params or {})

    def _trainer_kwargs(self) -> dict[str, Any]:
        prior, alpha = self._prior_alpha()
        kwargs = {name: getattr(self, name) for name in _TRAINER_PARAMS}
        kwargs.update(prior=prior, alpha=alpha)
        return kwargs

    # -------------------------------------------------------------- training
    def _validate_X_y(self, X, y, reset: bool, multi_output: bool):
        X, y = validate_data(
            self, X, y, reset=reset, dtype=self._np_dtype(), multi_output=multi_output,
            ensure_min_samples=1,
        )  # fmt: skip
        return np.ascontiguousarray(X), y

    def _validation_rows(self, validation_data, validation_sample_weight):
        """``(X_val, y_val, weights or None)`` from ``fit``'s arguments (None if not given).

        ``X_val`` is checked against the fitted features (call after ``X``'s
        validation); ``y_val`` is returned as given, for the subclass to encode.
        """
        if validation_data is None:
            if validation_sample_weight is not None:
                raise ValueError(
                    "validation_sample_weight needs validation_data=(X_val, y_val); found "
                    "validation_data=None"
                )
            return None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                f"sample_weight_val); found {type(validation_data).__name__}"
                + (f" of length {len(validation_data)}" if isinstance(validation_data, (tuple, list)) else "")
            )
        Xv, yv, *rest = validation_data
        wv = rest[0] if rest else None
        if wv is not None and validation_sample_weight is not None:
            raise ValueError(
                "give the validation weights once: as validation_data's third item or as "
                "validation_sample_weight, not both"
            )
        wv = validation_sample_weight if wv is None else wv
        if self.solver == "lbfgs":
            raise ValueError(
                "validation_data needs a stochastic solver (adam, sgd, ...), which scores it "
                "after every epoch; found solver='lbfgs'"
            )
        Xv = validate_data(self, Xv, reset=False, dtype=self._np_dtype())
        yv = np.asarray(yv)
        if yv.shape[0] != Xv.shape[0]:
            raise ValueError(
                f"validation_data's X_val and y_val must have the same number of rows; found "
                f"{Xv.shape[0]} and {yv.shape[0]}"
            )
        if wv is not None:
            wv = training_weights(wv, Xv.shape[0])
        return np.ascontiguousarray(Xv), yv, wv

    def _fit_network(
        self, X, y, sample_weight, family, incremental: bool, fitted: dict | None = None,
        validation: tuple | None = None, stream: tuple | None = None,
        constant: np.ndarray | None = None, on_epoch=None,
    ):
        """Build (or reuse) the network and trainer, then train on ``(X, y)``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), the network's dtype
        y : ndarray
            Targets as ``family.check_target`` returns them.
        sample_weight : ndarray of shape (n_samples,)
        family : Family
            The family the network's raw outputs parameterise (its "head").
        incremental : bool
            True for ``partial_fit`` (one pass, keep the optimiser's state).
        validation : tuple (X_val, y_val, weights or None), optional
            Validation rows prepared like ``X`` and ``y``, for the trainer
            (early stopping monitors them instead of a random held-out part).
        fitted : dict, optional
            Further fitted attributes (e.g. ``family_`` when it differs from
            the head) set together with the network, once every setting has
            been checked and before training starts, so that a fit refused
            for a bad setting leaves the estimator as it was.
        stream : tuple (chunks, validation chunks or None, n_rows, on_epoch), optional
            :meth:`fit_chunks`: the trainer's chunks (``X``, ``y`` are the first one,
            which starts the network), callables prepared like them, the number of
            training rows the "auto" settings are sized by, and the epochs' callback.
        constant : ndarray, optional
            ``family.constant_raw(y, sample_weight)`` where the caller has it already
            (:func:`probnn.estimators._target.check_resolution`): not fitted again.
        on_epoch : callable, optional
            In memory, ``Trainer.run``'s: ``on_epoch(epoch, loss, validation score or None)``
            after each epoch, in the trainer's units; a true return value stops training.
        """
        from probnn.network import MLP
        from probnn.network.mlp import TRAINING_COPIES, check_memory
        from probnn.network.training import Trainer

        dropout = float(self.dropout)
        sizes = self._layer_sizes_for(X, y, family)
        if stream is not None and stream[1] is None and not incremental:
            from probnn.estimators._folds import stream_without_validation  # (a tiny table)

            stream, on_epoch = stream_without_validation(self, X, stream, on_epoch)
        # the trainer's weights in units where the largest is in [1, 2) and the prior's alpha
        # in the same units: (sum w nll + alpha P) / sum w is unchanged (powers of 2: bit for
        # bit), and weights of 1e100 or 1e-100 do not leave float32 when cast (inf, 0)
        unit = 1.0 if incremental or stream is not None else weight_unit(sample_weight)
        if unit != 1.0:
            sample_weight = sample_weight / unit
            if validation is not None and len(validation) > 2 and validation[2] is not None:
                validation = (*validation[:2], validation[2] / weight_unit(validation[2]))
        n_rows = X.shape[0] if stream is None else stream[2]
        if stream is not None and stream[1] is not None:
            validation = stream[1]
        kwargs = self._resolve_training(self._trainer_kwargs(), n_rows, validation)
        kwargs["alpha"] = kwargs["alpha"] / unit
        self.batch_size_ = kwargs["batch_size"]
        self.max_iter_ = kwargs["max_iter"]
        self.n_iter_no_change_ = kwargs["n_iter_no_change"]
        self.early_stopping_ = bool(kwargs["early_stopping"])
        # partial_fit steps without the average (only fit keeps one): say so
        self.ema_decay_ = None if incremental else kwargs["ema_decay"]
        network = getattr(self, "_network", None)
        keep = self._reuses_network(sizes, family, incremental)
        if not keep:
            # training's buffers (weights, gradient, Adam's moments, the average, a batch's
            # activations; L-BFGS: all rows at once) must fit before any is allocated
            bs = kwargs["batch_size"]
            rows = X.shape[0] if self.solver == "lbfgs" else min(
                X.shape[0], 200 if bs == "auto" else int(bs))
            check_memory(sizes, self._np_dtype(), copies=TRAINING_COPIES, batch_rows=rows,
                         what="training")  # fmt: skip
            network = MLP(
                sizes, self.activation, dtype=self._np_dtype(),
                random_state=self.random_state, dropout=dropout,
            )  # fmt: skip
            # Start the output layer at the best constant model (the MLE without
            # inputs), so training begins where the intercept-only fit ends.
            if constant is None:
                from probnn.estimators._target import constant_raw

                constant = constant_raw(family, y, sample_weight)
            bias = np.array(constant, dtype=np.float64)  # (a copy: the limits set to 0)
            # An infinite MLE (a label never or always seen) cannot be a start: 0, or where
            # the family says, a finite stand-in for its limit (a hurdle's zero logit)
            finite_start = getattr(family, "finite_start", None)
            if finite_start is not None:
                bias = np.array(finite_start(bias), dtype=np.float64)
            # ... and where the inputs can move it, one the gradient can move off the
            # family's bounds (a floored mixture component: d sigma / ds ~ 1e-308 there);
            # inputs all 0 (the constant model) keep the constant's own fit
            movable_start = getattr(family, "movable_start", None)
            if movable_start is not None and np.any(X):
                bias = np.array(movable_start(bias), dtype=np.float64)
            bias[~np.isfinite(bias)] = 0.0
            network.intercepts[-1][...] = bias
            if (self._start_at_constant and self.solver != "lbfgs"
                    and getattr(family, "location_scale", False)):
                # ... and exactly there: the output layer's weights 0, so every row starts
                # at that model (a regressor's scale head at the training spread, nowhere
                # collapsed); the first step moves them, since the hidden units are not 0
                network.coefs[-1][...] = 0.0
            self._trainer = None
        trainer = getattr(self, "_trainer", None)
        if trainer is None or (not incremental and self._trainer_kwargs_used != kwargs):
            # warm start with a fresh optimiser: the curve goes on from the last fit
            previous = list(getattr(self, "loss_curve_", None) or []) if keep else []
            trainer = Trainer(network, family, **kwargs)
            self._curve_offset = previous
            self._count_offset = (
                (getattr(self, "n_iter_", 0), getattr(self, "t_", 0)) if keep else (0, 0)
            )
        self._trainer = trainer
        self._trainer_kwargs_used = kwargs
        self._network = network
        self._layer_sizes = sizes
        self._head = family
        self.family_ = family
        for name, value in (fitted or {}).items():
            setattr(self, name, value)
        if incremental:
            trainer.partial_fit(X, y, sample_weight)
        elif stream is not None:
            log = stream[3]
            offset = self._nll_offset()  # the trainer's NLL in y's units

            def on_epoch(epoch: int, loss: float, score: float | None) -> None:
                log(epoch, loss + offset, None if score is None else score + offset)

            trainer.run(stream[0], validation, on_epoch=None if log is None else on_epoch)
        else:
            trainer.train(X, y, sample_weight, validation_data=validation, on_epoch=on_epoch)
        self._copy_fitted(trainer, network, family)

    def fit_chunks(self, chunks, *, validation=None, n_rows: int | None = None,
                   on_epoch=None, **first_call):  # fmt: skip
        """Fit on training rows that come in chunks, epoch after epoch (a table streamed
        from disk: :func:`probnn.tables.streaming.fit_stream`); ``fit``'s loop and settings.

        Parameters
        ----------
        chunks : callable
            ``chunks()`` returns an iterable of ``(X, y)`` or ``(X, y, sample_weight)``:
            one epoch's training rows, as ``fit`` takes them; called once per epoch. The
            first chunk starts the network (layer sizes, the output layer at its best
            constant model, a regressor's target standardisation unless ``target_scaling``
            is given). With one chunk of all the rows this is ``fit(X, y, sample_weight,
            validation_data=validation)`` step for step.
        validation : tuple (X_val, y_val), callable or None
            The rows early stopping scores after each epoch: arrays, or a callable
            returning an iterable of ``(X_val, y_val)`` chunks.
        n_rows : int, optional
            Training rows per epoch, which the "auto" settings are sized by (None: the
            first chunk's).
        on_epoch : callable, optional
            ``on_epoch(epoch, loss, validation NLL or None)`` after each epoch, in y's units.
        **first_call
            ``classes`` (a classifier's, all of them) or ``target_scaling`` (a regressor's
            ``(shift, scale)``), as for ``partial_fit``'s first call.

        Returns
        -------
        self
        """
        it = iter(chunks())
        try:
            X, y, *weight = next(it)
        except StopIteration:
            raise ValueError("expected training rows in the first chunk; found none") from None
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()  # the epochs read the chunks again from the start
        return self._fit(X, y, weight[0] if weight else None, incremental=False,
                         stream=(chunks, validation, n_rows, on_epoch), **first_call)  # fmt: skip

    @staticmethod
    def _stream_of(stream, first_n: int, prepare, prepare_validation):
        """``fit_chunks``' stream as ``_fit_network`` takes it: every chunk prepared as the
        first was (``prepare(X, y) -> (X, y, w)``, ``w`` times the chunk's own sample
        weights where it has them), validation rows likewise (arrays, or a callable of
        chunks)."""
        chunks, validation, n_rows, on_epoch = stream
        if validation is not None and not callable(validation):
            validation = prepare_validation(*validation)
        elif validation is not None:
            source = validation
            validation = lambda: (prepare_validation(Xv, yv) for Xv, yv in source())  # noqa: E731
        def weighed(X, y, *weight):
            X, y, w = prepare(X, y)
            return (X, y, w * check_sample_weight(weight[0], X.shape[0])) if weight else (X, y, w)

        train = lambda: (weighed(*chunk) for chunk in chunks())  # noqa: E731
        return train, validation, first_n if n_rows is None else int(n_rows), on_epoch

    # whether a fresh network of a location-scale family starts as the constant model
    # (output-layer weights 0) under the stochastic solvers, where early stopping keeps that
    # start unless an epoch beats it. L-BFGS keeps the random output layer (from 0 its first
    # steps sit at a saddle, where rounding differences grow: weights would stop being
    # repetitions to 1e-6), and so do other families (Poisson on Bike Sharing, scenario 4's
    # fixed 100 epochs: 7.65 nats from 0 against 7.17 from a random layer)
    _start_at_constant = False

    def _resolve_training(self, kwargs: dict, n_samples: int, validation) -> dict:
        """The trainer's settings for ``n_samples`` rows: resolves "auto" values.

        Here only ``batch_size="auto"`` is left to the trainer (``min(200, n)``);
        :class:`MLPRegressor` sizes its budget and early stopping by the data.
        """
        for name in ("max_iter", "n_iter_no_change", "early_stopping"):
            if isinstance(kwargs[name], str):
                raise ValueError(
                    f"{name}={kwargs[name]!r} is not supported by {type(self).__name__}; "
                    f"give a number{' or a bool' if name == 'early_stopping' else ''}"
                )
        return resolve_average(dict(kwargs))

    def _layer_sizes_for(self, X, y, family) -> list[int]:
        """Layer sizes of a network for inputs ``X`` and targets ``y`` under ``family``."""
        return [X.shape[1], *self._hidden_sizes(), family.n_outputs(y)]

    def _reuses_network(self, sizes: list[int], head, incremental: bool) -> bool:
        """Whether training goes on from the fitted network (warm start or partial_fit).

        It does when there is one, of the same layer sizes, whose raw outputs
        already parameterise ``head`` (the family as the network sees it).
        """
        from probnn.families._interval import IntervalTargets

        if isinstance(head, IntervalTargets):  # the same outputs, targets laid out as intervals
            head = head.base
        return (
            getattr(self, "_network", None) is not None
            and (incremental or self.warm_start)
            and getattr(self, "_layer_sizes", None) == sizes
            and getattr(self, "_head", getattr(self, "family_", None)) == head
        )

    def _nll_offset(self) -> float:
        """What turns the trainer's NLL into the NLL of the user's targets (per example).

        0 here; a regressor fit on a standardised target adds the log of the
        Jacobian of the standardisation.
        """
        return 0.0

    def _copy_fitted(self, trainer, network, family) -> None:
        self.coefs_ = network.coefs
        self.intercepts_ = network.intercepts
        # The trainer's curves are in its own units (those of the standardised
        # target, for a regressor that standardises it); report them in the user's.
        offset = self._nll_offset()
        self.loss_curve_ = list(getattr(self, "_curve_offset", [])) + [
            float(v) + offset for v in trainer.loss_curve_
        ]
        scores = getattr(trainer, "validation_scores_", None)
        self.validation_scores_ = (
            [float(v) + offset for v in scores] if scores else None
        )
        stopped_early = trainer.early_stopping
        self.best_loss_ = (
            None if stopped_early else _float_or_none(trainer.best_loss_, offset)
        )
        self.best_validation_score_ = (
            _float_or_none(getattr(trainer, "best_validation_score_", None), offset)
            if stopped_early
            else None
        )
        iter_offset, t_offset = getattr(self, "_count_offset", (0, 0))
        self.n_iter_ = int(iter_offset + trainer.n_iter_)
        self.t_ = int(t_offset + trainer.t_)
        self.converged_ = bool(trainer.converged_)
        self.n_layers_ = len(self._layer_sizes)
        self.n_outputs_ = int(self._layer_sizes[-1])
        self.out_activation_ = family.out_activation

    # ------------------------------------------------------------ prediction
    def _raw(self, X) -> np.ndarray:
        """Raw network outputs, shape (n_samples, n_outputs), for new data."""
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, reset=False, dtype=self._np_dtype())
        raw = self._network.forward(np.ascontiguousarray(X))
        floor = getattr(self, "scale_floor_", None)  # a tiny table's regressor (_folds)
        if floor is not None:
            np.maximum(raw[:, 1], floor, out=raw[:, 1])
        return raw

    def _nll_per_row(self, X, y) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def score_nll(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Mean negative log-likelihood of ``y`` under the predicted distributions, in nats.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) (or (n_samples, k) multi-label)
        sample_weight : array-like of shape (n_samples,), optional
            Gives the weighted mean ``sum_i s_i nll_i / sum_i s_i``.

        Returns
        -------
        float
            Lower is better; ``0`` only for certain, correct predictions of a
            discrete target.
        """
        return weighted_mean(self._nll_per_row(X, y), sample_weight)

    # ------------------------------------------- the surface wrappers read
    def fitted_network(self) -> FittedNetwork:
        """The fitted network, its families and prior, for wrappers (``probnn.laplace``).

        Returns
        -------
        FittedNetwork

        Raises
        ------
        NotFittedError
            Before ``fit``.
        """
        check_is_fitted(self, "coefs_")
        prior, alpha = self._prior_alpha()
        family, training_family, training_targets, log_scale = self._likelihood_parts()
        return FittedNetwork(self._network, family, training_family, training_targets,
                             float(log_scale), bool(getattr(self, "_multilabel", False)),
                             prior, float(alpha), getattr(self, "scale_floor_", None))  # fmt: skip

    def _likelihood_parts(self) -> tuple:  # pragma: no cover - abstract
        """``(family, training_family, training_targets, log_scale)`` of :class:`FittedNetwork`."""
        raise NotImplementedError

    def encode_target(self, y: ArrayLike) -> np.ndarray:  # pragma: no cover - abstract
        """``y`` as :attr:`FittedNetwork.family`'s distributions score it."""
        raise NotImplementedError

    # ------------------------------------------------------------ model files
    def _export_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Fitted state as named arrays and JSON-able metadata (for ``probnn.model_file``).

        Returns
        -------
        arrays : dict of str -> ndarray
            ``"params"``: all weights and biases in the network's flat layout.
        meta : dict
            Class name, constructor parameters, family, sizes and the fitted
            attributes needed to rebuild an estimator that predicts the same.
        """
        check_is_fitted(self, "coefs_")
        arrays = {"params": np.array(self._network.params, copy=True)}
        meta = {
            "class": type(self).__name__,
            "params": _jsonable(self.get_params()),
            "family": {"name": self.family_.name, "params": _jsonable(self.family_.get_params())},
            "layer_sizes": [int(s) for s in self._layer_sizes],
            "dtype": np.dtype(self._np_dtype()).name,
            "n_features_in_": int(self.n_features_in_),
            "feature_names_in_": (
                [str(n) for n in self.feature_names_in_]
                if hasattr(self, "feature_names_in_")
                else None
            ),
            "fitted": {
                **{k: _jsonable(getattr(self, k, None)) for k in FITTED_SCALARS},
                **{k: _jsonable(getattr(self, k, None)) for k in FITTED_ARRAYS},
            },
        }
        meta.update(self._export_extra())
        from probnn.estimators._folds import export_fold_members  # (a tiny table's regressor)

        export_fold_members(self, arrays, meta)
        return arrays, meta

    def _export_extra(self) -> dict:
        return {}

    def _import_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        """Inverse of :meth:`_export_state` on an estimator built from ``meta["params"]``."""
        from probnn.families import get_family
        from probnn.network import MLP

        from probnn.network.mlp import n_parameters

        declared = meta["layer_sizes"]
        if not isinstance(declared, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) for s in declared):
            raise ValueError(f"expected layer sizes as a list of integers; found {declared!r}")
        sizes = [int(s) for s in declared]
        params = np.asarray(arrays["params"])
        # the declared sizes against the stored tensor, before a network of them is allocated
        if any(s < 0 for s in sizes) or params.shape != (n_parameters(sizes),):
            raise ValueError(
                f"model file holds {params.size:,} parameters; a network of layer sizes "
                f"{sizes} needs {n_parameters(sizes):,}"
            )
        if len(sizes) < 2 or int(meta["n_features_in_"]) != sizes[0]:
            raise ValueError(f"expected n_features_in_ equal to the first layer size of "
                             f"{sizes}; found {meta['n_features_in_']!r}")  # fmt: skip
        network = MLP(sizes, self.activation, dtype=np.dtype(meta["dtype"]).type)
        network.set_params(params.astype(network.params.dtype, copy=False))
        family = get_family(meta["family"]["name"], **meta["family"]["params"])
        self._network = network
        self._layer_sizes = sizes
        self._trainer = None
        self._head = family
        self.family_ = family
        self.n_features_in_ = int(meta["n_features_in_"])
        if meta.get("feature_names_in_") is not None:
            self.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
        fitted = meta.get("fitted", {})
        for key in FITTED_SCALARS + FITTED_ARRAYS:
            setattr(self, key, fitted.get(key))
        self.coefs_ = network.coefs
        self.intercepts_ = network.intercepts
        self.n_layers_ = len(sizes)
        self.n_outputs_ = sizes[-1]
        self.out_activation_ = family.out_activation
        self._import_extra(meta)
        if meta.get("fold_members") is not None:  # (a tiny table's regressor: _folds)
            from probnn.estimators._folds import import_fold_members

            import_fold_members(self, arrays, meta)

    def _import_extra(self, meta: dict) -> None:
        pass

    # ------------------------------------------------------------ pickling
    # A pickled estimator keeps its trainer (the optimiser's state, the random generator):
    # partial_fit after a round trip, as when dask-ml's Incremental moves the estimator
    # between worker processes, continues exactly as it would have without one.
    def __setstate__(self, state):
        super().__setstate__(state)
        network = state.get("_network")
        if network is not None:
            # Re-point coefs_ / intercepts_ at the network's buffer: pickling
            # stores views as separate copies.
            self.coefs_ = network.coefs
            self.intercepts_ = network.intercepts


def central_interval_of(dist, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """A regressor's predictive interval of probability ``coverage``:
    :func:`probnn.metrics.central_interval` (equal-tailed for a continuous law; a discrete
    law's unspent tail mass moved to the other end), in the distribution's dtype, as every
    prediction is.

    Parameters
    ----------
    dist : Distribution with batch shape (n_samples,)
    coverage : float in (0, 1)

    Returns
    -------
    lower, upper : ndarray of shape (n_samples,)
    """
    from probnn.metrics import central_interval  # (which checks the coverage)

    return tuple(v.astype(dist.dtype, copy=False) for v in central_interval(dist, float(coverage)))


def _float_or_none(value, offset: float = 0.0) -> float | None:
    return None if value is None else float(value) + offset


def _jsonable(value):
    """Plain Python (lists, floats, ints, str, None) for the JSON metadata."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, type):  # e.g. dtype=np.float32
        return np.dtype(value).name
    # random_state as a Generator / RandomState cannot be stored; the fitted
    # weights do not depend on it any more.
    return None
