"""``probnn demo``: handwritten 0 versus 1 as Bernoulli(sigmoid(MLP(x))).

Uses scikit-learn's bundled digits (no download), holds out a quarter of the
images, trains by maximum likelihood and prints the held-out NLL in nats and
bits per example, accuracy, Brier score and expected calibration error, then
writes a report.
"""

from __future__ import annotations

import sys

import pathlib

__all__ = ["run_demo", "demo_data"]


def demo_data(seed: int = 0):
    """Digits "0" and "1" from scikit-learn, pixels scaled to [0, 1], split 75 / 25.

    Returns
    -------
    X_train : ndarray of shape (n_train, 64)
    X_test : ndarray of shape (n_test, 64)
    y_train, y_test : ndarray of shape (n_train,), (n_test,), values 0 or 1
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(n_class=2, return_X_y=True)
    X = X / 16.0  # pixel intensities are 0..16
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)


def run_demo(out: str | pathlib.Path = "probnn-demo-report", quiet: bool = False,
             seed: int = 0) -> dict[str, float]:  # fmt: skip
    """Train, print held-out metrics, write a report into ``out``; return the metrics.

    Returns
    -------
    dict
        ``nll_nats``, ``nll_bits``, ``accuracy``, ``brier``, ``ece``.

    Raises
    ------
    FileExistsError
        If ``out`` holds files that are not a probnn report (checked before training).
    """
    from probnn.estimators import MLPClassifier
    from probnn.metrics import classification_metrics
    from probnn.report import report_folder_problem, write_report

    problem = report_folder_problem(out)  # before training, not after
    if problem is not None:
        raise FileExistsError(problem)
    X_train, X_test, y_train, y_test = demo_data(seed)
    say = (lambda *a: None) if quiet else print
    say(f"digits 0 vs 1: {len(y_train)} training images, {len(y_test)} held out (8x8 pixels)")
    say("model: y ~ Bernoulli(sigmoid(MLP(x))), trained by minimising the NLL")
    model = MLPClassifier(
        hidden_layer_sizes=(32,), family="bernoulli", max_iter=300, random_state=seed,
        # the bar at once (this fit is short), and only on a terminal: no frames in a log
        early_stopping=True, progress=False if quiet or not sys.stderr.isatty() else 0,
    )  # fmt: skip
    model.fit(X_train, y_train)
    dist = model.predict_dist(X_test)
    metrics = classification_metrics(y_test, dist)
    print(f"held-out results on {len(y_test)} images:")
    print(f"  NLL              {metrics['nll_nats']:.4f} nats = {metrics['nll_bits']:.4f} bits per example")
    print(f"  accuracy         {metrics['accuracy']:.4f}")
    print(f"  Brier score      {metrics['brier']:.4f}")
    print(f"  calibration (ECE) {metrics['ece']:.4f}")
    html = write_report(
        out, title="probnn demo: digits 0 vs 1, Bernoulli(sigmoid(MLP(x)))",
        task="classification", y_true=y_test, dist=dist, classes=["0", "1"],
        loss_curve=model.loss_curve_, validation_curve=model.validation_scores_, metrics=metrics,
        notes=["scikit-learn's bundled digits, classes 0 and 1; pixels divided by 16",
               "one hidden layer of 32 ReLU units; held-out quarter of the images",
               "training stops when the NLL on a validation tenth of the training images "
               "stops improving, and keeps the best weights"],
    )  # fmt: skip
    print(f"report written to {html}")
    return metrics
