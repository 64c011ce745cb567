"""The tabular model: preprocessing + target encoding + a fitted probnn estimator.

A :class:`TabularModel` is what ``probnn fit`` trains and a model file holds: the
preprocessing learned from the training rows (numeric columns standardised, string
columns one-hot encoded, optional imputation), the target encoding (class labels for
classifiers) and a fitted :class:`~probnn.estimators.MLPClassifier` or
:class:`~probnn.estimators.MLPRegressor`. The estimator's settings and early stopping's
rows (:mod:`probnn.tables._model_settings`), a class model's labels beyond its training rows
(:mod:`probnn.tables._model_classes`) and a model file's checks
(:mod:`probnn.tables._model_file_checks`) are split from here and re-exported.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd

from probnn.exceptions import DataError, DataWarning, NetworkTooLargeError, PrecisionError
# (re-exported: what the fit trains, the labels it misses and the model file's checks, split
# from this module and imported from here)
from probnn.tables._model_classes import (JEFFREYS_COUNT, _all_counts,  # noqa: F401
                                          _constant_at_reference,
                                          _count_hint, _with_every_class,
                                          unseen_labels_warning)  # fmt: skip
from probnn.tables._model_file_checks import (_SPLIT_RULES, _check_agrees,  # noqa: F401
                                              _target_parser, _training_data)  # fmt: skip
from probnn.tables._model_settings import (_in_float64, _regressor,  # noqa: F401
                                           early_stopping_fraction, early_stopping_rows,
                                           estimator_settings, laplace_posterior)  # fmt: skip
from probnn.tables.censoring import Censoring, censored_family, check_censored_family
from probnn.tables.columns import _comma_reading, _numbers_as_recorded
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.resolution import with_resolution_floor
from probnn.tables.targets import (_check_family_name, _class_indices, _labels_to_json,
                                   check_target_column, check_trainable_target, class_order,
                                   infer_family, is_classifier_family, regression_target,
                                   target_labels)  # fmt: skip

__all__ = ["TabularModel", "SEED_MAX", "POSTERIORS", "MIN_FIT_ROWS", "MIN_CONSTANT_ROWS",
           "check_fit_rows",
           "laplace_posterior", "estimator_settings", "early_stopping_fraction",
           "early_stopping_rows"]


# Seeds of NumPy's legacy generator and scikit-learn's random_state: [0, 2**32 - 1].
SEED_MAX = 2**32 - 1
# What ``TabularModel.fit(posterior=)`` may wrap the fitted network in.
POSTERIORS = ("none", "laplace")
# The fewest rows a model with features is fitted on (training and early stopping's
# validation rows together). On n rows a model with n - 1 features passes through every
# row: a line through 2, a plane of two columns through 3. Its likelihood then grows
# without bound as the predicted scale shrinks (or a class probability tends to 1), and
# held-out rows pay for it: the default network on 3 rows of a 2-column table, scale 4e-9,
# held-out NLL 1e14 (8e64 at the command line), its GLM 3e7. From 4 rows a table of 1 or
# 2 columns leaves a residual to estimate the spread from (that table, 4 rows: held-out
# NLL 2.3-4.7; 5 rows 2.0-2.3). Wider tables interpolate more rows than this: there the
# prior and the held-out comparison with the constant model are what catch it.
MIN_FIT_ROWS = 4
# ... and a constant model (no features): a spread needs two rows (on one, scale 0)
MIN_CONSTANT_ROWS = 2


def check_fit_rows(n_rows: int, target: str, constant: bool = False) -> None:
    """DataError, in one line, when a model would be fitted on fewer than
    :data:`MIN_FIT_ROWS` rows (:data:`MIN_CONSTANT_ROWS` for a ``constant`` model);
    ``n_rows``: the training and early stopping's validation rows."""
    fewest = MIN_CONSTANT_ROWS if constant else MIN_FIT_ROWS
    if n_rows < fewest:
        why = ("a spread needs two" if constant else "on fewer a model with as many features "
               "as rows less one passes through every row and its predicted spread collapses "
               "to 0; a constant model needs 2")  # fmt: skip
        raise DataError(f"expected at least {fewest} rows to fit a {'constant ' * constant}model "
                        f"of column {target!r} on ({why}); found {n_rows}")  # fmt: skip


class TabularModel:
    """Preprocessing + target encoding + a probnn estimator, fitted on one table.

    Build one with :meth:`fit`; a model file stores it (``probnn.model_file``).

    Attributes
    ----------
    target : str
        Name of the target column.
    family : str
        The likelihood family's name.
    preprocessor : Preprocessor
    estimator : MLPClassifier, MLPRegressor, EnsembleRegressor or LaplaceApproximation
        Trained on ``preprocessor.transform(frame)``; a classifier sees class
        indices ``0..C-1``. ``fit(posterior="laplace")`` wraps the network in its
        Laplace posterior (:attr:`posterior`).
    classes : list or None
        Class labels (index ``k`` names class ``k``) for classifiers.
    training_data : dict or None
        What ``probnn fit`` recorded of the data it was fitted on, so ``probnn evaluate`` can
        recognise that data and score only the rows the fit held out: ``sha256`` (of the
        file or folder, ``probnn.report.card.file_sha256``), ``rows`` (data rows),
        ``split`` (the rule: ``"permutation"`` or ``"row-hash"``), ``seed`` and
        ``test_fraction``. None when not recorded (a model file from before the record, or
        a model not fitted by the command line).
    censoring : Censoring or None
        How the target (and the columns it names) give censored ``(lower, upper)`` bounds
        (:mod:`probnn.tables.censoring`); None for exact targets.
    target_parser : {"thousands", "decimal", "percent"} or None
        How the training file's text of a regression target was read as numbers (a
        ``;``-separated file's decimal commas, a ``,``-separated one's thousands
        separators), so that every file is read alike (:meth:`encode_target`), as
        ``preprocessor.parsers_`` does for the features; None for plain numbers, class
        labels (a label read otherwise is no class of the model's, and said so), or a model
        file from before the record: each file is then read by its own separator.
    """

    def __init__(self, *, target: str, family: str, preprocessor: Preprocessor, estimator,
                 classes: list | None = None, training_data: dict | None = None,
                 censoring: Censoring | None = None,
                 target_parser: str | None = None):  # fmt: skip
        self.target = target
        self.target_parser = target_parser
        self.censoring = censoring if censoring is not None and censoring.active else None
        self.family = family
        self.preprocessor = preprocessor
        self.estimator = estimator
        self.classes = classes
        self.training_data = training_data

    @property
    def is_classifier(self) -> bool:
        return is_classifier_family(self.family)

    @property
    def posterior(self) -> str:
        """``"laplace"`` when the network is wrapped in its Laplace posterior, else ``"none"``."""
        return "laplace" if hasattr(self.estimator, "log_evidence_") else "none"

    # ------------------------------------------------------------------ fit
    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        target: str,
        *,
        family: str = "auto",
        hidden: Sequence[int] | None = None,
        solver: str = "adam",
        epochs: int | None = None,
        seed: int | None = 0,
        impute: bool = False,
        progress: bool = False,
        ensemble: int = 1,
        n_jobs: int | None = None,
        levels: Sequence[str] | None = None,
        posterior: str = "none",
        censoring: Censoring | None = None,
        validation: np.ndarray | None = None,
        constant: bool = False,
        prepared: tuple[Preprocessor, np.ndarray] | None = None,
        classes: Sequence | None = None,
        **estimator_params,
    ) -> "TabularModel":
        """Fit preprocessing and an estimator on ``frame``.

        Parameters
        ----------
        frame : DataFrame of shape (n_rows, n_columns)
            Feature columns and the target column (drop unwanted columns first); at least
            :data:`MIN_FIT_ROWS` rows, :data:`MIN_CONSTANT_ROWS` for a ``constant`` model
            (a DataError on fewer, as a streamed fit's).
        target : str
        family : str, default="auto"
            ``"auto"`` uses :func:`infer_family`.
        hidden : sequence of int, optional
            Hidden layer sizes. None: :class:`~probnn.estimators.MLPRegressor`'s default
            for a regression family, ``defaults.TABLE_CLASSIFIER``'s for a classifier.
        solver : {"adam", "sgd", "lbfgs"}
        epochs : int, optional
            ``max_iter`` of the estimator. None: a regressor's "auto" budget (sized by
            the rows), a classifier's ``defaults.TABLE_CLASSIFIER``. With "adam" or "sgd"
            training stops earlier once the NLL of held-out validation rows stops
            improving.
        seed : int or None
        impute : bool
        progress : bool
            Show a progress bar while training.
        ensemble : int, default=1
            For a regression family, more than 1 fits an
            :class:`~probnn.estimators.EnsembleRegressor` of that many networks
            (seeds drawn from ``seed``), saved as one model.
        n_jobs : int or None, default=None
            The ensemble's networks fitted in parallel through joblib (its ``n_jobs``;
            None: one after the other, unless ``joblib.parallel_config`` says otherwise).
        levels : sequence of str, optional
            A classifier's classes in their order (``--levels``; see :func:`class_order`:
            an ordered family needs it for text labels unless the column is an ordered
            categorical). Saved in the model, so prediction and evaluation use it.
        posterior : {"none", "laplace"}, default="none"
            "laplace": the fitted network wrapped in a
            :class:`~probnn.laplace.LaplaceApproximation` (``defaults.TABLE_LAPLACE``: the
            output layer's weights, the prior's precision chosen by the evidence), whose
            predictive every prediction then uses. Not with ``ensemble`` > 1.
        censoring : Censoring, optional
            Read the target as censored ``(lower, upper)`` bounds; the columns it names
            are not features. Saved in the model, so evaluation reads them again.
        validation : ndarray of bool, shape (n_rows,), optional
            The rows kept for early stopping (scored after each epoch, not trained on;
            ``probnn fit``: those of the row hash, :func:`early_stopping_fraction`, as a
            streamed fit keeps). The preprocessing is learned on every row of ``frame``.
            None: the estimator holds out its own ``validation_fraction``.
        constant : bool, default=False
            Fit the family's best constant model, which ignores the features: its
            generalised linear model (no hidden layer; ``hidden`` is ignored) trained with
            every input at 0, so only the intercepts learn (the maximum-likelihood constant,
            under the estimator's prior), then its input weights set to 0. It is saved,
            loaded and predicted as any model; ``probnn.report.card.is_constant`` tells it.
        prepared : (Preprocessor, ndarray), optional
            A preprocessor already fitted on ``frame``'s feature columns (with this
            ``impute``) and its transform of them, which the fit then uses instead of fitting
            its own: :func:`probnn.compare_families` fits them once for all the families on
            the same rows (the same numbers; the models share the preprocessor, which
            nothing changes once fitted). Trusted, not checked.
        classes : sequence, optional
            A classifier's classes in the model's order, when more rows than ``frame``'s
            say what they are: :func:`probnn.compare_families` gives those of the whole
            column (:func:`class_order`), so that a fold's model has an output for every
            label of the column, as scikit-learn's ``partial_fit(classes=)``. Default: the
            classes of ``frame``'s rows. Where some class has no training row (a label rarer
            than the folds), its maximum-likelihood probability is 0 and no fit has a
            finite optimum: the model then learns with half a pseudo-count of every class at
            the features' origin (each numeric column at its training mean, no category of
            a text column), a data-augmentation prior (Bedrick, Christensen and Johnson
            1996; Greenland 2007): one pseudo-row at ``x = 0`` per class, of weight
            :data:`JEFFREYS_COUNT` (1/2), i.e. the log-density of a Dirichlet(3/2) on the
            class probabilities there added to the log-likelihood. The constant model is
            then the Krichevsky-Trofimov estimate ``(n_k + 1/2) / (n + C/2)`` (the
            predictive of the Jeffreys prior Dirichlet(1/2)); a GLM or network gives the
            class a small positive probability. With every class among the training rows
            nothing is added (the same fit as without ``classes``).
        **estimator_params
            Further estimator parameters (e.g. ``learning_rate_init``). ``alpha="evidence"``:
            the Gaussian prior's strength of largest Laplace evidence
            (:func:`probnn.evidence.fit_by_evidence`; small networks such as a GLM, one
            network on exact targets).
        """
        if seed is not None and not (isinstance(seed, numbers.Integral) and 0 <= seed <= SEED_MAX):
            # the seed is a setting, not the data: said before the target is looked at
            raise ValueError(f"seed must be None or an integer from 0 to {SEED_MAX} (NumPy's and "
                             f"scikit-learn's seeds); found {seed!r}")  # fmt: skip
        by_evidence = estimator_params.get("alpha") == "evidence"
        if by_evidence:
            if ensemble > 1 or censoring is not None and censoring.active:
                raise ValueError("alpha='evidence' fits one network on exact targets; found "
                                 f"ensemble={ensemble}, censoring={censoring!r}")
            estimator_params = {k: v for k, v in estimator_params.items() if k != "alpha"}
        if posterior not in POSTERIORS:
            raise ValueError(f"posterior must be one of {', '.join(POSTERIORS)}; found {posterior!r}")
        if posterior != "none" and ensemble > 1:
            raise ValueError("posterior='laplace' wraps one network; found ensemble="
                             f"{ensemble} (an ensemble is its own approximation of the posterior)")
        check_target_column(frame, target)
        check_fit_rows(len(frame), target, constant)
        censoring = censoring if censoring is not None and censoring.active else None
        if posterior != "none" and censoring is not None:
            # the posterior's curvature is the exact rows' density's (LaplaceApproximation)
            raise ValueError("posterior='laplace' takes exact targets; found a censored target "
                             f"({censoring.columns or 'a cap'})")
        if family == "auto":
            family, _ = (censored_family if censoring else infer_family)(frame[target])
        _check_family_name(family)
        if censoring is not None:
            check_censored_family(family)
        # a family that can spike on a heap (a mixture) keeps the targets' resolution
        floored = with_resolution_floor(frame[target], family,
                                        estimator_params.get("family_params"))  # fmt: skip
        if floored is not None:
            estimator_params = {**estimator_params, "family_params": floored}
        features = frame.drop(columns=[target, *(censoring.columns if censoring else ())])
        if prepared is not None:
            preprocessor, X = prepared
        else:
            preprocessor = Preprocessor(impute=impute).fit(features)
            X = preprocessor.transform(features)
        if constant:  # an intercept-only fit: the inputs carry nothing
            X, hidden = np.zeros_like(X), ()
        classifier = is_classifier_family(family)
        # no dtype given: float32, or float64 where float32 cannot hold or resolve the target
        dtype_given = estimator_params.get("dtype") is not None
        estimator_params = {k: v for k, v in estimator_params.items()
                            if k != "dtype" or dtype_given}  # fmt: skip
        params = estimator_settings(family, hidden, epochs, {**estimator_params, "solver": solver})
        params.update(solver=solver, random_state=seed, progress=progress, family=family)
        if classifier:
            from probnn.estimators import MLPClassifier

            labels = target_labels(frame[target], target)
            classes = class_order(frame[target], labels, target, family, levels) \
                if classes is None else np.asarray(classes)  # fmt: skip
            y = _class_indices(labels, classes, target, frame[target])
            estimator = MLPClassifier(**params)
            model = cls(target=target, family=family, preprocessor=preprocessor,
                        estimator=estimator, classes=_labels_to_json(classes))  # fmt: skip
        else:
            from probnn.families import get_family

            if censoring is not None:
                y = censoring.bounds(frame, target, get_family(family))
                trained = np.ones(len(y), dtype=bool) if validation is None else \
                    ~np.asarray(validation, dtype=bool)
                censoring.check_has_maximum(y[trained], target, "training rows")
            else:
                y = regression_target(frame[target], target, get_family(family))
                from probnn.tables.leaks import target_copy_warnings

                for message in target_copy_warnings(preprocessor, features, y):
                    warnings.warn(message, stacklevel=2)
            standardise = params.get("standardize_target", "auto")
            exact = y[:, 0] == y[:, 1] if y.ndim == 2 else slice(None)  # censored: exact rows
            try:
                check_trainable_target(
                    y[exact, 0] if y.ndim == 2 else y, frame[target][exact], target,
                    get_family(family), params.get("dtype", np.float32),
                    None if standardise == "auto" else bool(standardise))  # fmt: skip
            except PrecisionError as exc:
                if dtype_given:
                    raise
                params["dtype"] = _in_float64(exc)
            estimator = _regressor(params, ensemble, n_jobs, seed)
            model = cls(target=target, family=family, preprocessor=preprocessor,
                        estimator=estimator, censoring=censoring,
                        target_parser=_comma_reading(frame[target]))  # fmt: skip
        fit_args = (X, y)
        if validation is not None and np.any(validation):
            keep = np.asarray(validation, dtype=bool)
            fit_args = (X[~keep], y[~keep], None, (X[keep], y[keep]))
        if classifier:
            fit_args = _with_every_class(fit_args, len(classes))
        while True:
            try:
                if by_evidence:  # empirical Bayes: the prior's strength of largest evidence
                    from probnn.evidence import fit_by_evidence

                    estimator = fit_by_evidence(estimator, *fit_args[:3])
                    model.estimator = estimator
                else:
                    estimator.fit(*fit_args)
                break
            except PrecisionError as exc:  # raised before training starts
                if dtype_given or classifier or params.get("dtype") == "float64":
                    raise exc.located(f"column {target!r}") from None
                params["dtype"] = _in_float64(exc, target)
                estimator = model.estimator = _regressor(params, ensemble, n_jobs, seed)
            except (DataError, NetworkTooLargeError):
                raise
            except ValueError as exc:  # a family's check on the targets, with rows
                raise DataError(f"column {target!r}: {exc}") from None
        if posterior == "laplace":
            model.estimator = laplace_posterior(estimator, X, y, seed)
        if constant:  # weights that never saw a non-zero input: 0, so x is ignored
            estimator.coefs_[0][...] = 0.0
            trained = fit_args[1]
            if not classifier and trained.ndim == 1:  # a hurdle's P(0) by the KT rule where
                # no row holds a zero (censored bounds: left as fitted)
                _constant_at_reference(estimator, family, trained.size,
                                       int(np.count_nonzero(trained == 0)))  # fmt: skip
        return model

    # ---------------------------------------------------------------- predict
    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Feature matrix of ``frame`` (the target column, if present, is ignored)."""
        return self.preprocessor.transform(frame)

    def encode_target(self, frame: pd.DataFrame) -> np.ndarray:
        """The target column as the estimator sees it (class indices or floats; a censored
        target's ``(lower, upper)`` bounds, shape (n_rows, 2)).

        Raises
        ------
        DataError
            If the column is missing, has missing values, holds a label not seen
            in training, or values outside the family's support.
        """
        check_target_column(frame, self.target)
        frame = self._target_as_recorded(frame)
        column = frame[self.target]
        if not self.is_classifier:
            from probnn.families import get_family

            if self.censoring is not None:
                return self.censoring.bounds(frame, self.target, get_family(self.family))
            return regression_target(column, self.target, get_family(self.family))
        # text classes: a chunk (or a file) of only numbers or booleans is read as text labels
        text = any(isinstance(c, str) for c in self.classes)
        try:
            return _class_indices(target_labels(column, self.target, text), self.classes,
                                  self.target, column)  # fmt: skip
        except DataError as exc:
            raise DataError(f"{exc}{_count_hint(self.family, self.classes, column)}") from None

    def _target_as_recorded(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its target column read as the training file's was
        (:attr:`target_parser`); unchanged where nothing was recorded."""
        if self.target_parser is None:
            return frame
        column = _numbers_as_recorded(frame[self.target], self.target_parser)
        if column is frame[self.target]:
            return frame
        frame = frame.copy(deep=False)  # (its attrs kept: the rows' files)
        frame[self.target] = column
        return frame

    def predict_dist(self, frame: pd.DataFrame):
        """Predictive distribution of the target for each row, batch shape (n_rows,)."""
        return self.estimator.predict_dist(self.transform(frame))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Most probable label (classifiers) or predicted mean (regressors), shape (n_rows,);
        for a target censored at fixed bounds, the mean of the value recorded, as
        :meth:`predict_table`'s ``prediction``."""
        X = self.transform(frame)
        if self.is_classifier:
            index = np.asarray(self.estimator.predict(X), dtype=np.intp)
            return np.asarray(self.classes, dtype=object)[index]
        return self._predicted_mean(X)

    def _fixed_bounds(self) -> bool:
        """Whether the target is censored at fixed bounds (a limit, a cap: not columns)."""
        return self.censoring is not None and not self.censoring.columns

    def _predicted_mean(self, X: np.ndarray, dist=None) -> np.ndarray:
        """A regressor's predicted mean of the transformed rows ``X``: the estimator's, or
        at fixed bounds the recorded value's (``dist``: the predictions, where at hand)."""
        if not self._fixed_bounds():
            return np.asarray(self.estimator.predict(X))
        from probnn.survival import recorded_mean

        dist = self.estimator.predict_dist(X) if dist is None else dist
        return recorded_mean(dist, self.censoring.below, self.censoring.above)

    def predict_table(self, frame: pd.DataFrame, coverage: float = 0.9) -> pd.DataFrame:
        """Predictions with the distribution's parameters, one row per input row.

        Columns: ``prediction``; classifiers ``p(<label>)`` per class;
        regressors the distribution's parameters (the family's
        ``parameter_columns``: e.g. ``loc``, ``scale``) and ``lower``, ``upper``:
        the central interval holding the target with probability ``coverage``.

        A regressor's ``prediction`` is the target's predicted mean. For a target censored at
        fixed bounds (a detection limit ``below``, a cap ``above``: what is recorded is
        ``clip(Y, below, above)``), ``prediction``, ``lower`` and ``upper`` are those of the
        value recorded: its mean (:func:`probnn.survival.recorded_mean`; below a limit, the
        Tobit mean) and interval (:func:`probnn.metrics.central_interval` with the bounds: the
        latent quantiles clipped, a bound's atom's unspent tail mass moved to the other end);
        the parameters stay those of the latent ``Y``. Censoring read from columns (events,
        upper bounds: survival times) keeps the latent ``Y``'s mean and interval.
        """
        X = self.transform(frame)
        out: dict[str, np.ndarray] = {}
        if self.is_classifier:
            proba = self.estimator.predict_proba(X)
            labels = np.asarray(self.classes, dtype=object)
            out["prediction"] = labels[np.argmax(proba, axis=1)]
            for k, label in enumerate(self.classes):
                out[f"p({label})"] = proba[:, k]
            return pd.DataFrame(out)
        dist = self.estimator.predict_dist(X)
        out["prediction"] = self._predicted_mean(X, dist)
        for name, values in _parameter_columns(self.estimator, dist).items():
            out[name] = np.array(values)
        # the interval of the distribution just predicted (every estimator's predict_interval
        # is central_interval_of its predict_dist): one forward pass, not two
        if self._fixed_bounds():
            from probnn.metrics import central_interval

            lower, upper = central_interval(dist, coverage, self.censoring.below,
                                            self.censoring.above)  # fmt: skip
        else:
            from probnn.estimators._base import central_interval_of

            lower, upper = central_interval_of(dist, coverage)
        out["lower"], out["upper"] = np.asarray(lower), np.asarray(upper)
        return pd.DataFrame(out)

    def evaluate(self, frame: pd.DataFrame, coverage: float = 0.9) -> dict[str, float]:
        """Held-out metrics of ``frame`` (which must hold the target column).

        Classifiers: ``nll_nats``, ``nll_bits``, ``accuracy``, ``brier``, ``ece``;
        regressors: ``nll_nats``, ``nll_bits``, ``crps`` (in the target's units), ``rmse``,
        ``mae``, ``coverage``, ``coverage_expected`` (the model's own mass of those intervals:
        the level ``coverage`` for a continuous family, at least it for a discrete one), ``pit_ks``;
        censored targets: :func:`probnn.survival.censored_metrics` (at fixed bounds, a
        detection limit or a cap, with the coverage of the value recorded). A
        :class:`~probnn.exceptions.DataWarning` for each fixed limit ``frame`` looks recorded
        otherwise than with (:meth:`Censoring.limit_notes`: values beyond it, scored as
        censored there; or a point mass short of it, scored by the density).
        """
        from probnn import metrics

        y = self.encode_target(frame)
        dist = self.predict_dist(frame)
        if self.censoring is not None:  # the censored likelihood, concordance, D-calibration
            for note in self.censoring.limit_notes(self._target_as_recorded(frame), self.target):
                warnings.warn(note, DataWarning, stacklevel=2)
            from probnn.survival import censored_metrics

            fixed = not self.censoring.columns  # a detection limit or a cap: the recorded value
            bounds = (self.censoring.below, self.censoring.above) if fixed else None
            return censored_metrics(y, dist, self.nll_rows(frame, y), coverage=coverage,
                                    bounds=bounds)  # fmt: skip
        if self.is_classifier:
            return metrics.classification_metrics(y, dist)
        return metrics.regression_metrics(y, dist, coverage=coverage)

    def nll_rows(self, frame: pd.DataFrame, y: np.ndarray | None = None) -> np.ndarray:
        """Each row's held-out NLL, ``-log P(lower < Y <= upper)`` for censored targets.

        Parameters
        ----------
        frame : DataFrame of shape (n_rows, n_columns)
        y : ndarray, optional
            :meth:`encode_target` of ``frame``, if already computed.

        Returns
        -------
        ndarray of shape (n_rows,), float64
        """
        from scipy.special import logsumexp

        y = self.encode_target(frame) if y is None else y
        X = self.transform(frame)
        if self.posterior != "none":  # its predictive's (exact targets only: fit refuses
            # censoring with a posterior)
            return -np.asarray(self.estimator.predict_dist(X).log_prob(y), dtype=np.float64)
        members = getattr(self.estimator, "estimators_", None)
        if members is None:
            return np.asarray(self.estimator._nll_per_row(X, y), dtype=np.float64)
        # a mixture's probability of each row's event is its members' average
        nll = np.stack([np.asarray(m._nll_per_row(X, y), dtype=np.float64) for m in members])
        return np.log(len(members)) - logsumexp(-nll, axis=0)

    # ---------------------------------------------------------- model files
    def _export_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Arrays and JSON metadata of the whole bundle (see ``probnn.model_file``)."""
        arrays, est_meta = self.estimator._export_state()
        meta = {
            "target": self.target,
            "family": self.family,
            "classes": self.classes,
            "preprocessing": self.preprocessor.to_meta(),
            "estimator": est_meta,
        }
        arrays = {f"estimator.{k}": v for k, v in arrays.items()}
        if self.training_data is not None:  # (its rows' digests: an array beside the JSON)
            meta["training_data"] = {k: v for k, v in self.training_data.items()
                                     if k != "row_hashes"}  # fmt: skip
            if "row_hashes" in self.training_data:
                arrays["training_data.row_hashes"] = self.training_data["row_hashes"]
        if self.censoring is not None:
            meta["censoring"] = self.censoring.to_meta()
        if self.target_parser is not None:  # absent otherwise: other models' files as before
            meta["target_parser"] = self.target_parser
        return arrays, meta

    @classmethod
    def _from_state(cls, arrays: dict[str, np.ndarray], meta: dict) -> "TabularModel":
        from probnn.estimators import estimator_from_state

        from probnn.families import FAMILIES

        if meta["family"] not in FAMILIES:
            raise DataError(f"expected a registered family in the model file; found "
                            f"{meta['family']!r}")  # fmt: skip
        est_arrays = {k[len("estimator."):]: v for k, v in arrays.items() if k.startswith("estimator.")}
        estimator = estimator_from_state(est_arrays, meta["estimator"])
        preprocessor = Preprocessor.from_meta(meta["preprocessing"])
        width = len(preprocessor.feature_names_out_)
        if getattr(estimator, "n_features_in_", width) != width:
            raise DataError(f"expected the network to take the {width} features the model "
                            f"file's preprocessing makes; it takes {estimator.n_features_in_}")  # fmt: skip
        _check_agrees(str(meta["family"]), meta.get("classes"), estimator)
        return cls(
            target=str(meta["target"]), family=str(meta["family"]),
            preprocessor=preprocessor, estimator=estimator, classes=meta.get("classes"),
            training_data=_training_data(meta.get("training_data"),  # absent from older files
                                         arrays.get("training_data.row_hashes")),  # fmt: skip
            censoring=Censoring.from_meta(meta["censoring"]) if "censoring" in meta else None,
            target_parser=_target_parser(meta.get("target_parser")),  # absent from older files
        )  # fmt: skip


def _parameter_columns(estimator, dist) -> dict[str, np.ndarray]:
    """The predicted distribution's parameters as columns, as its family names them.

    An ensemble (no single ``family_``) gives each member's parameters with the
    member's number appended (``loc_1``, ``scale_1``, ``loc_2``, ...): its
    prediction is their equal mixture.
    """
    from probnn.estimators._folds import fold_parameter_columns  # (a tiny table's mixture)

    family = getattr(estimator, "family_", None)
    if family is not None:
        return fold_parameter_columns(estimator, family, dist)
    inner = getattr(estimator, "estimator_", None)  # a posterior over one network's weights
    if inner is not None:
        columns = getattr(estimator, "parameter_columns", None)
        return columns(dist) if columns else inner.family_.parameter_columns(dist)
    columns = {}
    for k, (member, component) in enumerate(zip(estimator.estimators_, dist.components), 1):
        for name, values in fold_parameter_columns(member, member.family_, component).items():
            columns[f"{name}_{k}"] = values
    return columns
