"""The model card's facts: what was fitted, how training ended, the best constant model.

Everything here reads a fitted estimator (or its family) and returns plain
text and numbers for :mod:`probnn.report` and the command line; nothing draws.
No family is named: what a family is comes from the family object itself
(``name``, ``is_classifier``, ``constant_raw``, ``get_params``, ``derivation``).
"""

from __future__ import annotations

import hashlib
import math
import os
import pathlib
import platform
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from probnn.report._format import format_number

__all__ = [
    "METRIC_TEXT",
    "metric_rows",
    "file_sha256",
    "software_versions",
    "members",
    "stop_reason",
    "is_linear",
    "hidden_layers",
    "network_words",
    "network_rows",
    "training_rows",
    "constant_baseline",
    "constant_rule",
]

# key -> (name a reader knows, unit, how to read it); units "{target}" are filled in
METRIC_TEXT: dict[str, tuple[str, str, str]] = {
    "nll_nats": ("negative log-likelihood", "nats per example",
                 "minus the mean log-probability (or log-density) of the held-out targets; "
                 "lower is better"),
    "nll_bits": ("negative log-likelihood", "bits per example",
                 "the same, divided by ln 2: the bits a code built from the model needs per "
                 "held-out target"),
    "crps": ("continuous ranked probability score (CRPS)", "units of {target}",
             "the squared distance between the predicted cdf and the observation's step, "
             "integrated over y and averaged over the held-out rows: a proper score like "
             "the NLL, in the target's units and less moved by a few wild rows; lower is "
             "better"),
    "accuracy": ("accuracy", "fraction of rows",
                 "how often the most probable class is the true one"),
    "brier": ("Brier score", "squared probability error",
              "scikit-learn's brier_score_loss: for two classes the mean of (P(y = 1) - y)^2, "
              "0 to 1, whichever family (a Bernoulli and a two-class categorical agree); for "
              "more classes the mean squared distance between the predicted class "
              "probabilities and the one-hot truth, summed over the classes, 0 to 2; 0 is "
              "perfect"),
    "ece": ("expected calibration error", "probability",
            "mean gap between confidence and accuracy over 10 confidence bins, weighted by "
            "their counts; 0 is calibrated"),
    "rmse": ("root mean squared error", "units of {target}",
             "of the predicted mean; on the scale of the target"),
    "mae": ("mean absolute error", "units of {target}", "of the predicted mean"),
    "coverage": ("{level} interval coverage", "fraction of rows",
                 "share of held-out targets inside their central {level} predictive interval; "
                 "honest intervals give about {nominal} (a count law's: about the model's own mass "
                 "of them, at least {nominal})"),
    "coverage_expected": ("the model's own mass of those intervals", "fraction of probability",
                          "the predicted probability of each row's {level} interval, averaged "
                          "over the held-out rows: what a calibrated model's coverage is. "
                          "Exactly {nominal} for a continuous law; at least that for a count "
                          "law, whose interval holds its ends' whole masses (all the zeros, when "
                          "0 is its lower end), so a coverage above {nominal} there is "
                          "discreteness, not miscalibration"),
    "pit_ks": ("PIT distance from uniform", "Kolmogorov-Smirnov distance",
               "largest gap between the PIT values' empirical CDF and the uniform one; "
               "0 is calibrated"),
    "concordance": ("concordance index", "fraction of comparable pairs",
                    "Harrell's C: among pairs whose order of events is known (the earlier one "
                    "observed), the share whose predicted medians are in the same order; 0.5 is "
                    "chance, 1 a perfect order"),
    "d_calibration_p": ("D-calibration p-value", "chi-square test, 10 bins",
                        "of the predicted survival probabilities at the observed values, censored "
                        "rows spread over what they allow (Haider et al. 2020); flat under a "
                        "calibrated model: a small p-value (below 0.05) says the model is not"),
}  # fmt: skip


def metric_rows(metrics: Mapping[str, object], coverage: float = 0.9,
                target: str = "the target") -> list[tuple[str, object, str, str]]:  # fmt: skip
    """The metrics as rows ``(name, value, unit, how to read)``; unknown keys kept as they are.

    Parameters
    ----------
    metrics : mapping of str -> number
        As :func:`probnn.metrics.classification_metrics` or
        :func:`probnn.metrics.regression_metrics` return them.
    coverage : float
        Nominal coverage of the interval behind ``"coverage"``.
    target : str
        Name of the target, for the units of the CRPS, RMSE and MAE.
    """
    level = f"{coverage:.0%}"
    rows = []
    for key, value in metrics.items():
        if key not in METRIC_TEXT:
            rows.append((str(key), value, "", ""))
            continue
        name, unit, meaning = METRIC_TEXT[key]
        fill = dict(level=level, nominal=f"{coverage:g}", target=target)
        rows.append((name.format(**fill), value, unit.format(**fill), meaning.format(**fill)))
    return rows


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in blocks; of a folder (a Parquet dataset),
    of each file's path relative to it and bytes, the files in sorted order."""
    digest = hashlib.sha256()
    root = pathlib.Path(path)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    for file in files:
        if root.is_dir():
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def software_versions() -> list[tuple[str, str]]:
    """``(package, version)`` of probnn, Python and the libraries the fit used."""
    from importlib import metadata

    from probnn._version import __version__

    rows = [("probnn", __version__), ("Python", platform.python_version())]
    for name in ("numpy", "scipy", "scikit-learn", "pandas", "matplotlib"):
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    rows.append(("platform", f"{platform.system()} {platform.machine()}"))
    return rows


def members(estimator) -> list:
    """The fitted networks of an estimator: its ensemble members, the network a posterior
    (``LaplaceApproximation``) wraps, or itself."""
    if getattr(estimator, "estimators_", None):
        return list(estimator.estimators_)
    return [getattr(estimator, "estimator_", None) or estimator]


def posterior_facts(estimator) -> dict | None:
    """What a Laplace posterior over the network's weights adds, or None without one.

    Returns
    -------
    dict or None
        ``weights`` (how many the posterior is over), ``subset``, ``prior_precision``,
        ``chosen`` (whether the evidence chose it) and ``log_evidence`` (nats, over the
        training rows).
    """
    if not hasattr(estimator, "log_evidence_"):
        return None
    return {"weights": int(estimator.n_weights_), "subset": estimator.subset,
            "prior_precision": float(estimator.prior_precision_),
            "chosen": estimator.prior_precision == "evidence",
            "log_evidence": float(estimator.log_evidence_)}  # fmt: skip


def posterior_line(estimator) -> str | None:
    """The console's line about a Laplace posterior (None without one)."""
    facts = posterior_facts(estimator)
    if facts is None:
        return None
    where = "the output layer's" if facts["subset"] == "last-layer" else "all"
    how = "chosen by the evidence" if facts["chosen"] else "given"
    return (f"Laplace posterior over {where} {facts['weights']:,} weights: prior precision "
            f"{facts['prior_precision']:.4g} ({how}), log evidence "
            f"{facts['log_evidence']:.2f} nats")  # fmt: skip


def used_setting(est, name: str):
    """The value a fit used for setting ``name``: the fitted ``name_`` where the estimator
    resolved an "auto" (``max_iter_``, ``batch_size_`` ...), else the parameter."""
    used = getattr(est, name + "_", None)
    return getattr(est, name) if used is None else used


def _one_stop(est) -> tuple[str, bool]:
    """Why one fitted network stopped, and whether it stopped before its budget."""
    n, budget = int(est.n_iter_), used_setting(est, "max_iter")
    if est.solver == "lbfgs":
        if est.converged_:
            return f"L-BFGS converged after {n} iterations (budget {budget})", True
        return f"L-BFGS used its whole budget of {budget} iterations without converging", False
    scores = np.asarray(getattr(est, "validation_scores_", None) or [], dtype=np.float64)
    best = ""
    early_stopping = used_setting(est, "early_stopping") is True
    if early_stopping and scores.size and np.isfinite(scores).any():
        k = int(np.nanargmin(scores))
        best = (f"best validation NLL {scores[k]:.4f} nats per example at epoch {k + 1}, "
                "whose weights were kept")  # fmt: skip
    if est.converged_:
        watched = "validation NLL" if early_stopping else "training loss"
        text = (f"stopped early at epoch {n} of {budget}: the {watched} had not improved for "
                f"{used_setting(est, 'n_iter_no_change')} epochs")  # fmt: skip
        drops = int(getattr(getattr(est, "_trainer", None), "_n_drops", 0) or 0)
        if drops:  # learning_rate="plateau" (or "adaptive"): earlier plateaus lowered the rate
            text += f", after {drops} drop{'s' if drops > 1 else ''} of the learning rate"
        return (f"{text}; {best}" if best else text), True
    text = f"used the whole budget of {budget} epochs (the loss was still improving)"
    return (f"{text}; {best}" if best else text), False


def stop_reason(estimator) -> str:
    """One sentence: how many epochs training ran and why it stopped.

    For an ensemble, the members' epochs (range and median) and how many
    stopped early.
    """
    nets = members(estimator)
    if len(nets) == 1:
        return _one_stop(nets[0])[0]
    epochs = np.array([int(m.n_iter_) for m in nets])
    early = sum(_one_stop(m)[1] for m in nets)
    rest = "" if early == len(nets) else ", the others used the whole budget"
    return (f"{len(nets)} networks ran {epochs.min()}-{epochs.max()} epochs (median "
            f"{float(np.median(epochs)):g}); {early} of {len(nets)} stopped early on their "
            f"validation NLL{rest}")  # fmt: skip


def is_linear(estimator) -> bool:
    """Whether the fitted network has no hidden layer (``hidden_layer_sizes=()``): its raw
    outputs are linear in the features, the family's generalised linear model."""
    return len(members(estimator)[0].coefs_) == 1


def is_constant(estimator) -> bool:
    """Whether the fitted model is a constant model (``TabularModel.fit(constant=True)``):
    no hidden layer and every input weight 0, so its predictions ignore the features."""
    first = members(estimator)[0]
    return is_linear(estimator) and not np.any(np.asarray(first.coefs_[0]))


def hidden_layers(estimator) -> str:
    """The hidden layers' sizes in words: ``50, 50``, or none (the GLM)."""
    if is_constant(estimator):
        return "none, and every input weight 0: the family's constant model"
    if is_linear(estimator):
        return "none: the generalised linear model of the family"
    return ", ".join(f"{c.shape[1]:,}" for c in members(estimator)[0].coefs_[:-1])


def network_words(estimator) -> str:
    """The fitted model in a few words, for the rows that set it against others."""
    if is_constant(estimator):
        return "the constant model (no hidden layer, input weights 0)"
    return ("the generalised linear model (no hidden layer)" if is_linear(estimator)
            else "the network")  # fmt: skip


def network_rows(estimator) -> list[tuple[str, str]]:
    """The network's shape: layers, parameters, activations, dtype (and ensemble size)."""
    nets = members(estimator)
    net = nets[0]
    sizes = [net.coefs_[0].shape[0]] + [c.shape[1] for c in net.coefs_]
    n_params = sum(c.size for c in net.coefs_) + sum(b.size for b in net.intercepts_)
    linear = is_linear(estimator)
    rows = [
        ("layers (inputs → hidden → raw outputs)", " → ".join(f"{s:,}" for s in sizes)
         + (" (no hidden layer: the generalised linear model of the family)" if linear else "")),
        ("parameters", f"{n_params:,}" + (f" per network, {n_params * len(nets):,} in all"
                                          if len(nets) > 1 else "")),
        ("hidden activation", "none (no hidden layer)" if linear else str(net.activation)),
        ("output link", str(getattr(net, "out_activation_", ""))),
        ("arithmetic", str(net.dtype)),
    ]  # fmt: skip
    if len(nets) > 1:
        rows.insert(0, ("ensemble", f"{len(nets)} networks from independent seeds; the "
                                    "prediction is their equally weighted mixture"))  # fmt: skip
    return rows


# (estimator parameter, what it is, the command line's option)
_SETTINGS = (
    ("solver", "optimiser", "--solver"),
    ("learning_rate_init", "learning rate", "--lr"),
    ("batch_size", "minibatch size", "--batch-size"),
    ("max_iter", "epoch budget", "--epochs"),
    ("early_stopping", "early stopping on a validation split", ""),
    ("validation_fraction", "validation fraction of the training rows", ""),
    ("n_iter_no_change", "patience (epochs without improvement)", "--patience"),
    ("tol", "improvement that counts", ""),
    ("prior", "prior on the weights", "--prior"),
    ("alpha", "prior strength alpha", "--alpha"),
    ("ema_decay", "weights averaged over the steps (decay per step)", "--average"),
    ("dropout", "dropout", ""),
    ("standardize_target", "target standardised for training", ""),
    ("recalibrate", "predicted scales widened by a factor fitted on the validation rows", ""),
    ("family_params", "fixed family parameters", "--family-param"),
    ("random_state", "seed of the weights and minibatches", "--seed"),
)  # fmt: skip


def training_rows(estimator) -> list[tuple[str, str, str]]:
    """Every training setting ``(what, value, option)`` of a fitted estimator."""
    template = getattr(estimator, "estimator", None) if hasattr(estimator, "estimators_") else None
    first = members(estimator)[0]
    params = (template if template is not None else first).get_params()
    rows = []
    for key, what, option in _SETTINGS:
        if key not in params:
            continue
        value = params[key]
        if isinstance(value, str) and value == "auto":
            used = {used_setting(m, key) for m in members(estimator)}
            if len(used) == 1 and used != {"auto"}:
                value = f"auto: {used.pop()}"
        if key == "prior" and value is None:
            value = "none (maximum likelihood)"
        if key == "ema_decay" and value in (None, "auto"):  # "auto" left: lbfgs, no average
            value = "none (the last step's weights)"
        if key == "recalibrate":
            factors = sorted({float(getattr(m, "scale_factor_", None) or 1.0)
                              for m in members(estimator)})  # fmt: skip
            value = f"{value}: factor " + ", ".join(f"{f:.4g}" for f in factors)
        if key == "family_params":
            value = ", ".join(f"{k}={v:g}" for k, v in (value or {}).items()) or "none"
        rows.append((what, str(value), option))
    # the selection's cross-fitted widening of a negative binomial's dispersion (only where
    # it was adopted: estimators._widening.cross_fitted_dispersion)
    dispersion = sorted({float(getattr(m, "dispersion_factor_", 1.0)) for m in members(estimator)})
    if dispersion != [1.0]:
        rows.append(("dispersion widened", "factor " + ", ".join(f"{f:.4g}" for f in dispersion),
                     "select_model(dispersion=True)"))
    if hasattr(estimator, "estimators_"):
        rows.append(("ensemble members", str(len(estimator.estimators_)), "--ensemble"))
        rows.append(("member seeds", ", ".join(str(m.random_state) for m in estimator.estimators_),
                     "drawn from --seed"))  # fmt: skip
    return rows


def _describe(family, dist) -> str:
    """The constant distribution's parameters in words, as its family names them
    (``family.parameter_columns``: a negative binomial's mean and dispersion, a hurdle's
    zero probability), never an empty list."""
    columns = family.parameter_columns(dist)
    parts = [f"{name} = {format_number(float(np.asarray(v, dtype=np.float64).ravel()[0]))}"
             for name, v in list(columns.items())[:8]]  # fmt: skip
    if len(columns) > 8:
        parts.append(f"... ({len(columns)} parameters)")
    return ", ".join(parts) or "no free parameter"


def constant_baseline(family, y_train: ArrayLike, y_test: ArrayLike,
                      fixed: Sequence[str] = (),
                      sample_weight: ArrayLike | None = None) -> tuple[float, str]:  # fmt: skip
    """Held-out NLL of the best constant model: the family's MLE on the training targets.

    The constant model ignores x: its raw outputs are ``family.constant_raw(y_train)``
    (Bernoulli(mean y), the class frequencies, a Normal with the training mean and
    standard deviation, ...). A fixed ``scale`` that the user did not give (one
    the estimator estimated) is chosen for the constant model by maximum
    likelihood on the training targets too.

    Parameters
    ----------
    family : Family
        The fitted model's family, with its parameters in the units of ``y``.
    y_train, y_test : ndarray of shape (n_train,), (n_test,)
        Targets as the family takes them (class indices, real values, counts).
    fixed : sequence of str
        Names of the family parameters the user fixed.
    sample_weight : ndarray of shape (n_train,), optional
        The training targets' weights (a class family's pseudo-rows: ``constant_model``);
        only for a family without a scale to choose.

    Returns
    -------
    nll : float
        Mean NLL of ``y_test`` under the constant model, in nats per example.
    description : str
        The constant distribution's parameters.
    """
    from scipy import optimize

    from probnn.families import get_family

    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if y_train.ndim == 2:  # (lower, upper) bounds: the censored likelihood's constant MLE
        return _censored_constant(family, y_train, y_test)
    params = family.get_params()
    if params.get("scale") is not None and "scale" not in fixed:
        raw = np.asarray(family.constant_raw(y_train), dtype=np.float64)
        tiled = np.broadcast_to(raw, (y_train.shape[0], raw.size))

        def train_nll(log_scale: float) -> float:
            candidate = get_family(family.name, **{**params, "scale": math.exp(log_scale)})
            return float(np.mean(candidate.nll(tiled, y_train)))

        spread = _spread(y_train)
        best = optimize.minimize_scalar(train_nll, bracket=(math.log(spread) - 1, math.log(spread)))
        family = get_family(family.name, **{**params, "scale": math.exp(best.x)})
    raw = np.asarray(family.reference_raw(y_train, sample_weight), dtype=np.float64)
    nll = family.nll(np.broadcast_to(raw, (y_test.shape[0], raw.size)).copy(), y_test)
    return float(np.mean(nll)), _describe(family, family.distribution(raw[None, :]))


# How constant_baseline's model is fitted, for the report's label: the MLE, ...
MAXIMUM_LIKELIHOOD = "maximum likelihood on the training targets"


def constant_rule(family, y_train: ArrayLike, sample_weight: ArrayLike | None = None) -> str:
    """How :func:`constant_baseline` fits its constant model on ``y_train``, in words for the
    report's label: the maximum likelihood, but the Krichevsky-Trofimov rule (half a
    pseudo-count of each outcome) where that is what it scores with: a class model whose
    ``sample_weight`` holds its pseudo-rows (some class has no training row), and a family
    whose reference departs from its MLE (``Family.reference_raw``: a hurdle's ``P(0)`` on
    training targets with no zero, or only zeros).

    Parameters
    ----------
    family : Family
    y_train : ndarray of shape (n_train,) or (n_train, 2)
        The training targets, as :func:`constant_baseline` takes them.
    sample_weight : ndarray of shape (n_train,), optional
        A class family's pseudo-rows' weights (``constant_model``).
    """
    from probnn.families.base import Family

    y = np.asarray(y_train)
    if family.is_classifier and sample_weight is not None:
        return ("the training classes' shares with half a pseudo-count of every class, the "
                "Krichevsky-Trofimov (n_k + 1/2) / (n + C/2): some class has no training row")
    if y.ndim != 1 or type(family).reference_raw is Family.reference_raw:
        return MAXIMUM_LIKELIHOOD
    mle = np.asarray(family.constant_raw(y), dtype=np.float64)
    if np.array_equal(mle, np.asarray(family.reference_raw(y), dtype=np.float64)):
        return MAXIMUM_LIKELIHOOD
    which = ("(n + 1/2) / (n + 1): every training target is 0" if np.all(y == 0)
             else "(1/2) / (n + 1): no training target is 0")  # fmt: skip
    return (f"{MAXIMUM_LIKELIHOOD}, but P(0) by the Krichevsky-Trofimov rule, half a "
            f"pseudo-count of zero and of non-zero, {which}")


def _spread(y: np.ndarray) -> float:
    """Standard deviation of ``y`` (shape (n,)) scaled by its largest deviation first, so
    that targets of 1e-300 do not square to 0 (``np.std`` would give 0); 1 for none."""
    deviation = np.asarray(y, dtype=np.float64) - float(np.mean(y))
    largest = float(np.max(np.abs(deviation), initial=0.0))
    if not largest > 0:
        return 1.0
    return largest * math.sqrt(float(np.mean((deviation / largest) ** 2)))


def _censored_constant(family, y_train: np.ndarray, y_test: np.ndarray) -> tuple[float, str]:
    """:func:`constant_baseline` for ``(lower, upper)`` targets: the raw outputs that
    maximise the training rows' censored likelihood (L-BFGS from the family's start on
    one point per row, ``IntervalTargets.constant_raw``), scored on ``y_test``."""
    from scipy import optimize

    from probnn.families._interval import IntervalTargets

    start = np.asarray(IntervalTargets(family).constant_raw(y_train), dtype=np.float64)
    n = y_train.shape[0]

    def loss(raw: np.ndarray) -> tuple[float, np.ndarray]:
        # a line search may try points where the likelihood is degenerate (a hurdle's share of
        # zeros on a target without any runs off to -inf); they score +inf, and warn nothing
        if not np.all(np.isfinite(raw)):
            return math.inf, np.zeros(raw.size)
        tiled = np.broadcast_to(raw, (n, raw.size)).copy()
        with np.errstate(all="ignore"):
            nll, grad = family.censored_loss_gradient(tiled, y_train[:, 0], y_train[:, 1])
            value, gradient = float(np.mean(nll)), np.mean(grad, axis=0)
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return math.inf, np.zeros(raw.size)
        return value, gradient

    best = optimize.minimize(loss, start, jac=True, method="L-BFGS-B")
    good = np.isfinite(best.fun) and np.all(np.isfinite(best.x))
    raw = best.x if good and best.fun <= loss(start)[0] else start
    held = family.censored_nll(np.broadcast_to(raw, (y_test.shape[0], raw.size)).copy(),
                               y_test[:, 0], y_test[:, 1])  # fmt: skip
    return float(np.mean(held)), _describe(family, family.distribution(raw[None, :]))
