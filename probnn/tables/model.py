"""The tabular model: preprocessing + target encoding + a fitted probnn estimator.

A :class:`TabularModel` is what ``probnn fit`` trains and a model file holds: the
preprocessing learned from the training rows (numeric columns standardised, string
columns one-hot encoded, optional imputation), the target encoding (class labels for
classifiers) and a fitted :class:`~probnn.estimators.MLPClassifier` or
:class:`~probnn.estimators.MLPRegressor`.
"""

from __future__ import annotations

import numbers
import re
from typing import Any

import numpy as np
import pandas as pd

from probnn import defaults
from probnn.exceptions import DataError, NetworkTooLargeError
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.targets import (_check_family_name, _class_indices, _labels_to_json,
                                   check_target_column, check_trainable_target, class_order,
                                   infer_family, is_classifier_family, regression_target,
                                   target_labels)  # fmt: skip

__all__ = ["TabularModel", "SEED_MAX"]


# Seeds of NumPy's legacy generator and scikit-learn's random_state: [0, 2**32 - 1].
SEED_MAX = 2**32 - 1


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
    estimator : MLPClassifier or MLPRegressor
        Trained on ``preprocessor.transform(frame)``; a classifier sees class
        indices ``0..C-1``.
    classes : list or None
        Class labels (index ``k`` names class ``k``) for classifiers.
    training_data : dict or None
        What ``probnn fit`` recorded of the data it was fitted on, so ``probnn evaluate`` can
        recognise that data and score only the rows the fit held out: ``sha256`` (of the
        file or folder, ``probnn.report.card.file_sha256``), ``rows`` (data rows),
        ``split`` (the rule: ``"permutation"`` or ``"row-hash"``), ``seed`` and
        ``test_fraction``. None when not recorded (a model file from before the record, or
        a model not fitted by the command line).
    """

    def __init__(self, *, target: str, family: str, preprocessor: Preprocessor, estimator,
                 classes: list | None = None, training_data: dict | None = None):  # fmt: skip
        self.target = target
        self.family = family
        self.preprocessor = preprocessor
        self.estimator = estimator
        self.classes = classes
        self.training_data = training_data

    @property
    def is_classifier(self) -> bool:
        return is_classifier_family(self.family)

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
        constant: bool = False,
        **estimator_params,
    ) -> "TabularModel":
        """Fit preprocessing and an estimator on ``frame``.

        Parameters
        ----------
        frame : DataFrame of shape (n_rows, n_columns)
            Feature columns and the target column (drop unwanted columns first).
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
        constant : bool, default=False
            Fit the family's best constant model, which ignores the features: its
            generalised linear model (no hidden layer; ``hidden`` is ignored) trained with
            every input at 0, so only the intercepts learn (the maximum-likelihood constant,
            under the estimator's prior), then its input weights set to 0. It is saved,
            loaded and predicted as any model; ``probnn.report.card.is_constant`` tells it.
        **estimator_params
            Further estimator parameters (e.g. ``learning_rate_init``).
        """
        if seed is not None and not (isinstance(seed, numbers.Integral) and 0 <= seed <= SEED_MAX):
            # the seed is a setting, not the data: said before the target is looked at
            raise ValueError(f"seed must be None or an integer from 0 to {SEED_MAX} (NumPy's and "
                             f"scikit-learn's seeds); found {seed!r}")  # fmt: skip
        check_target_column(frame, target)
        if family == "auto":
            family, _ = infer_family(frame[target])
        _check_family_name(family)
        features = frame.drop(columns=[target])
        preprocessor = Preprocessor(impute=impute).fit(features)
        X = preprocessor.transform(features)
        if constant:  # an intercept-only fit: the inputs carry nothing
            X, hidden = np.zeros_like(X), ()
        classifier = is_classifier_family(family)
        # a regressor keeps MLPRegressor's defaults (sized by the data; early stopping on
        # validation NLL where it helps); a classifier gets the table's settings, with early
        # stopping (which also gives the report its validation curve) except under L-BFGS
        params = {}
        if classifier:
            params = dict(defaults.TABLE_CLASSIFIER, early_stopping=solver != "lbfgs")
        if hidden is not None:
            params["hidden_layer_sizes"] = tuple(int(h) for h in hidden)
        if epochs is not None:
            params["max_iter"] = int(epochs)
        params.update(estimator_params)
        params.update(solver=solver, random_state=seed, progress=progress, family=family)
        if classifier:
            from probnn.estimators import MLPClassifier

            labels = target_labels(frame[target], target)
            classes = class_order(frame[target], labels, target, family, levels)
            y = _class_indices(labels, classes, target, frame[target])
            estimator = MLPClassifier(**params)
            model = cls(target=target, family=family, preprocessor=preprocessor,
                        estimator=estimator, classes=_labels_to_json(classes))  # fmt: skip
        else:
            from probnn.estimators import MLPRegressor
            from probnn.families import get_family

            y = regression_target(frame[target], target, get_family(family))
            standardise = params.get("standardize_target", "auto")
            check_trainable_target(
                y, frame[target], target, get_family(family), params.get("dtype", np.float32),
                None if standardise == "auto" else bool(standardise))  # fmt: skip
            if ensemble > 1:
                from probnn.estimators import EnsembleRegressor

                # the members EnsembleRegressor measures by default, as far as options allow
                member = MLPRegressor(**{**defaults.ENSEMBLE_MEMBER, **params})
                estimator = EnsembleRegressor(member, n_members=int(ensemble), n_jobs=n_jobs,
                                              random_state=seed)
            else:
                estimator = MLPRegressor(**params)
            model = cls(target=target, family=family, preprocessor=preprocessor,
                        estimator=estimator)  # fmt: skip
        try:
            estimator.fit(X, y)
        except (DataError, NetworkTooLargeError):
            raise
        except ValueError as exc:  # a family's check on the targets, with rows
            raise DataError(f"column {target!r}: {exc}") from None
        if constant:  # weights that never saw a non-zero input: 0, so x is ignored
            estimator.coefs_[0][...] = 0.0
        return model

    # ---------------------------------------------------------------- predict
    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Feature matrix of ``frame`` (the target column, if present, is ignored)."""
        return self.preprocessor.transform(frame)

    def encode_target(self, frame: pd.DataFrame) -> np.ndarray:
        """The target column as the estimator sees it (class indices or floats).

        Raises
        ------
        DataError
            If the column is missing, has missing values, holds a label not seen
            in training, or values outside the family's support.
        """
        check_target_column(frame, self.target)
        column = frame[self.target]
        if not self.is_classifier:
            from probnn.families import get_family

            return regression_target(column, self.target, get_family(self.family))
        return _class_indices(target_labels(column, self.target), self.classes, self.target,
                              column)  # fmt: skip

    def predict_dist(self, frame: pd.DataFrame):
        """Predictive distribution of the target for each row, batch shape (n_rows,)."""
        return self.estimator.predict_dist(self.transform(frame))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Most probable label (classifiers) or predicted mean (regressors), shape (n_rows,)."""
        X = self.transform(frame)
        if self.is_classifier:
            index = np.asarray(self.estimator.predict(X), dtype=np.intp)
            return np.asarray(self.classes, dtype=object)[index]
        return self.estimator.predict(X)

    def predict_table(self, frame: pd.DataFrame, coverage: float = 0.9) -> pd.DataFrame:
        """Predictions with the distribution's parameters, one row per input row.

        Columns: ``prediction``; classifiers ``p(<label>)`` per class;
        regressors the distribution's parameters (the family's
        ``parameter_columns``: e.g. ``loc``, ``scale``) and ``lower``, ``upper``:
        the central interval holding the target with probability ``coverage``.
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
        out["prediction"] = np.asarray(self.estimator.predict(X))
        dist = self.estimator.predict_dist(X)
        for name, values in _parameter_columns(self.estimator, dist).items():
            out[name] = np.array(values)
        lower, upper = self.estimator.predict_interval(X, coverage=coverage)
        out["lower"], out["upper"] = np.asarray(lower), np.asarray(upper)
        return pd.DataFrame(out)

    def evaluate(self, frame: pd.DataFrame, coverage: float = 0.9) -> dict[str, float]:
        """Held-out metrics of ``frame`` (which must hold the target column).

        Classifiers: ``nll_nats``, ``nll_bits``, ``accuracy``, ``brier``, ``ece``;
        regressors: ``nll_nats``, ``nll_bits``, ``rmse``, ``mae``, ``coverage``, ``pit_ks``.
        """
        from probnn import metrics

        y = self.encode_target(frame)
        dist = self.predict_dist(frame)
        if self.is_classifier:
            return metrics.classification_metrics(y, dist)
        return metrics.regression_metrics(y, dist, coverage=coverage)

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
        if self.training_data is not None:
            meta["training_data"] = self.training_data
        return {f"estimator.{k}": v for k, v in arrays.items()}, meta

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
        return cls(
            target=str(meta["target"]), family=str(meta["family"]),
            preprocessor=preprocessor, estimator=estimator, classes=meta.get("classes"),
            training_data=_training_data(meta.get("training_data")),  # absent from older files
        )  # fmt: skip


# the split rules ``probnn fit`` records (``probnn.cli.SPLIT_PERMUTATION`` / ``SPLIT_ROW_HASH``)
_SPLIT_RULES = ("permutation", "row-hash")


def _training_data(record) -> dict | None:
    """A model file's record of its training data, checked (ValueError naming the field)."""
    if record is None:
        return None

    def whole(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    checks = {
        "sha256": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None,
        "rows": lambda v: whole(v) and v >= 2,
        "split": lambda v: v in _SPLIT_RULES,
        "seed": whole,
        "test_fraction": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
        and 0.0 < v < 1.0,
    }  # fmt: skip
    if not isinstance(record, dict):
        raise ValueError(f"expected training_data to be a JSON object; found {type(record).__name__}")
    for key, ok in checks.items():
        if not ok(record.get(key)):
            found = repr(record.get(key))
            found = found if len(found) <= 70 else found[:70] + "..."  # a hostile file's long string
            raise ValueError(f"expected a valid training_data {key!r}; found {found}")
    return record


def _parameter_columns(estimator, dist) -> dict[str, np.ndarray]:
    """The predicted distribution's parameters as columns, as its family names them.

    An ensemble (no single ``family_``) gives each member's parameters with the
    member's number appended (``loc_1``, ``scale_1``, ``loc_2``, ...): its
    prediction is their equal mixture.
    """
    family = getattr(estimator, "family_", None)
    if family is not None:
        return family.parameter_columns(dist)
    columns = {}
    for k, (member, component) in enumerate(zip(estimator.estimators_, dist.components), 1):
        for name, values in member.family_.parameter_columns(component).items():
            columns[f"{name}_{k}"] = values
    return columns
