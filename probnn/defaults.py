"""Every training default of probnn, in one table, each with why it is what it is.

The estimators' signatures (``MLPRegressor``, ``MLPClassifier``, ``EnsembleRegressor``), the
regressor's "auto" size rule, the weights' average, the tabular model (``probnn fit``), the
streamed fit and the command line's help texts all read their values here; none of them
writes a default's value again. The settings that are simply off (``random_state=None``,
``verbose=False``, ``warm_start=False``, ``family_params=None``, ...) stay in the signatures:
they are switches, not choices.

Where the values came from: ``bench/studies/scenario5_search.md`` (chosen on validation rows
of the UCI protocol's training parts: concrete, energy and yacht, never their test rows),
checked on Bike Sharing and California housing, which took no part in choosing them
(``bench/studies/scenario5_check.md``); the classifiers' average in bench scenarios 3 and 4.

This module is pure data and imports nothing, so every layer may read it (the command line's
parser does, and stays as cheap as argparse). The size rule's constants are module attributes
read when a fit resolves its "auto" settings, so a study may set them for a run
(``bench/studies/scenario5_search.py``).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

__all__ = [
    "AUTO_MAX_STEPS", "AUTO_PATIENCE_STEPS", "AUTO_MIN_PATIENCE", "AUTO_BATCHES_PER_EPOCH",
    "AUTO_BATCH_ROWS", "AUTO_MIN_VALIDATION_ROWS", "AUTO_CV_FOLDS", "AUTO_EMA_DECAY",
    "LBFGS_MAX_ITER",
    "SKLEARN_BATCH_ROWS", "PLATEAU_DROPS", "PLATEAU_FACTOR", "PLATEAU_FROM_BEST",
    "PLATEAU_WARMUP_STEPS", "PLATEAU_WAIT_AFTER_WARMUP", "REGRESSOR",
    "CLASSIFIER", "TABLE_CLASSIFIER", "ENSEMBLE_MEMBER", "ENSEMBLE_MEMBERS", "TABLE_LAPLACE",
]  # fmt: skip

# ------------------------------------------------------------------------------------------
# The size rule behind MLPRegressor's "auto" settings (its docstring, "Defaults sized by the
# data"): a budget and a patience counted in optimiser steps, not epochs, so small and large
# data get a comparable amount of training; the rate is lowered on plateaus before stopping
# (learning_rate="plateau", below). Chosen on validation rows of 9 tasks from 222 to 13,903
# training rows, the three UCI sets, Bike Sharing, California and four synthetic ones with a
# known truth (naval-, kin8nm-, power- and wine-like): bench/studies/stopping_rule.md.
AUTO_MAX_STEPS = 100_000  # steps the budget allows (max_iter="auto"): a cap the plateau rule
#   stays under on every task of the study but a nearly deterministic one, which improves for
#   thousands of epochs (20,000, the earlier value, cut off the naval-like task's fits)
AUTO_PATIENCE_STEPS = 1_000  # steps without improvement that make a plateau (n_iter_no_change);
#   each of the rate's PLATEAU_DROPS + 1 plateaus waits this long (2,000, with one plateau and
#   a constant rate before, stopped the naval-like fits after 45-285 epochs)
AUTO_MIN_PATIENCE = 10  # ... but at least this many epochs: one noisy epoch must not stop it
AUTO_BATCHES_PER_EPOCH = 50  # batch_size="auto" is n_rows // this: small data, small batches
AUTO_BATCH_ROWS = (32, 200)  # ... within these bounds: 32 keeps a step's gradient useful
AUTO_MIN_VALIDATION_ROWS = 20  # early_stopping="auto" holds out at least this many (n >= 40):
#   fewer cannot judge an epoch (on 60-120 rows this cut the validation NLL from tens or
#   thousands of nats to within about 0.3 nats of the constant model)
AUTO_CV_FOLDS = 5  # ... and on fewer rows the epochs by this many folds (K-fold's usual 5, not
#   tuned), the one-SE rule on their pooled held-out NLL (chosen on 10 R tables), then one fit on
#   all rows; checked on subsamples and synthetic tasks (bench/studies/tiny_tables.md)
AUTO_EMA_DECAY = 0.995  # ema_decay="auto" with a stochastic solver: the model is the average
#   of about the last 200 steps' weights (the search's choice; scenarios 3 and 4 for classifiers)
LBFGS_MAX_ITER = 200  # max_iter="auto" under L-BFGS: scikit-learn's iterations of the whole
#   objective (no dependence on the number of rows, so weights stay repetitions)
SKLEARN_BATCH_ROWS = 200  # a classifier's batch_size="auto": min(200, rows), scikit-learn's
PLATEAU_DROPS = 3  # learning_rate="plateau": the rate is lowered on this many plateaus ...
PLATEAU_FACTOR = 0.2  # ... by this factor each time (0.01 -> 0.002 -> 4e-4 -> 8e-5), and
#   the next plateau stops training
PLATEAU_FROM_BEST = True  # ... and with early stopping each drop goes on from the best epoch's
#   weights: going on from the last ones, the drops found nothing better on any task of the
#   study (the naval-like fit of seed 1 stayed at -3.05 nats; from the best: -4.51)
PLATEAU_WARMUP_STEPS = 1_000  # ... and the rate rises linearly to learning_rate_init over the
#   first steps (one factor an epoch; at most one patience and a tenth of the budget; not in
#   partial_fit): at the full
#   rate at once, Adam's first steps left 84% of the second layer's ReLU units dead on the
#   naval-like task after one epoch; naval-like validation NLL -5.37 -> -7.05 over 8 seeds,
#   other tasks within noise (stopping_rule.md, "Warm-up")
PLATEAU_WAIT_AFTER_WARMUP = True  # ... and the first plateau's patience starts after the
#   warm-up: the full rate is judged at the full rate

# ------------------------------------------------------------------------------------------
# Settings both network estimators share: scikit-learn's MLP's own values unless a comment says
# otherwise, so a probnn estimator is a drop-in for scikit-learn's.
_SHARED: dict[str, Any] = dict(
    activation="relu",  # scikit-learn's
    solver="adam",  # scikit-learn's; robust to the scale of each weight
    batch_size="auto",  # regressor: the size rule above; classifier: min(200, rows)
    learning_rate="constant",  # scikit-learn's; the average does the annealing's work
    power_t=0.5,  # scikit-learn's ("invscaling" only)
    shuffle=True,  # scikit-learn's: minibatches drawn afresh each epoch
    tol=1e-4,  # scikit-learn's improvement that counts for early stopping
    momentum=0.9,  # scikit-learn's ("sgd" only)
    nesterovs_momentum=True,  # scikit-learn's ("sgd" only)
    validation_fraction=0.1,  # scikit-learn's held-out tenth for early stopping
    beta_1=0.9,  # Adam's paper (Kingma and Ba 2015), as scikit-learn
    beta_2=0.999,  # Adam's paper, as scikit-learn
    epsilon=1e-8,  # Adam's paper, as scikit-learn
    max_fun=15000,  # scikit-learn's cap on L-BFGS's function evaluations
    ema_decay="auto",  # AUTO_EMA_DECAY with a stochastic solver, none with L-BFGS
    prior="gaussian",  # L2 on the weights, as scikit-learn's alpha
    dropout=0.0,  # scikit-learn has none; the prior regularises
    dtype="float32",  # half float64's memory and faster BLAS; minibatch noise dwarfs its rounding
)

REGRESSOR: MappingProxyType = MappingProxyType({
    **_SHARED,
    "hidden_layer_sizes": (50, 50),  # the search's best of (50,), (100,), (50, 50), (100, 100)
    "alpha": 0.01,  # the search's L2 strength, divided by the rows: matters on small data only
    "learning_rate_init": 0.01,  # high for Adam: the average removes its steps' noise
    #   (without the average 0.003 is better; on 2M streamed rows 0.01 costs 0.003 nats)
    "learning_rate": "plateau",  # the rate / 5 on each of PLATEAU_DROPS plateaus, from the
    #   best weights, then stop: a nearly deterministic target goes on improving at the lower
    #   rates (stopping_rule.md); a streamed fit keeps its rate (its own epochs and stopping)
    "max_iter": "auto",  # about AUTO_MAX_STEPS optimiser steps, whatever the rows
    "early_stopping": "auto",  # on where AUTO_MIN_VALIDATION_ROWS can be held out
    "n_iter_no_change": "auto",  # about AUTO_PATIENCE_STEPS steps, at least AUTO_MIN_PATIENCE
    #   epochs, for each of the rate's plateaus
    "standardize_target": "auto",  # location-scale families train on y in standard units
    "recalibrate": "auto",  # widen the predicted scales on the validation rows: a single
    #   network's learned variance is too small on new rows (scenario5_recalibrate.md)
    "recalibrate_estimate": "posterior",  # the widening's square at its posterior mean given
    #   the held-out rows, not their maximum likelihood (single_overconfidence.md)
    "predictive": "auto",  # the output layer's Laplace posterior added where closed form: at or
    #   below the plug-in network on every UCI set's validation and test rows (uci_single.md);
    #   a Normal's widening factor integrated out too (a Student-t of the held-out rows' df:
    #   "widen-t", uci_single.md, chosen on validation rows of 4 UCI and 7 other tables)
})  # fmt: skip

CLASSIFIER: MappingProxyType = MappingProxyType({
    **_SHARED,
    "hidden_layer_sizes": (100,),  # scikit-learn's
    "alpha": 1e-4,  # scikit-learn's
    "learning_rate_init": 1e-3,  # scikit-learn's (and Adam's paper)
    "max_iter": 200,  # scikit-learn's epochs
    "early_stopping": False,  # scikit-learn's
    "n_iter_no_change": 10,  # scikit-learn's epochs
})  # fmt: skip

# A classifier fitted on a table (``probnn fit``, the tabular model, the streamed fit) when no
# setting is given; a regressor there keeps REGRESSOR (sized by the data). Early stopping is on
# there too (except under L-BFGS): it also gives the report its validation curve.
TABLE_CLASSIFIER: MappingProxyType = MappingProxyType({
    "hidden_layer_sizes": (64, 64),  # the command line's since its first version (unmeasured)
    "max_iter": CLASSIFIER["max_iter"],
    "learning_rate_init": CLASSIFIER["learning_rate_init"],
    "alpha": CLASSIFIER["alpha"],
    "n_iter_no_change": CLASSIFIER["n_iter_no_change"],
})  # fmt: skip

# EnsembleRegressor's default member: MLPRegressor's own defaults without the per-member
# widening of the scales (the mixture of the members is wider than any one of them already).
# On validation fifths of concrete, energy and yacht (scenario5_search.md) these members gave
# validation NLL 2.919 / 0.307 / -0.015 against 2.931 / 0.310 / -0.011 with the widening and
# 2.969 / 0.432 / 0.326 for the previous members ((50, 50), batch 32, lr 0.003, patience 100
# epochs, no averaging).
# (members predict plug-in: the ensemble's spread is its members' disagreement, as measured)
ENSEMBLE_MEMBER: MappingProxyType = MappingProxyType({"recalibrate": False,
                                                      "predictive": "plug-in"})
ENSEMBLE_MEMBERS = 5  # the M = 5 of Lakshminarayanan, Pritzel and Blundell (2017)

# The Laplace posterior of ``probnn fit --posterior laplace`` (LaplaceApproximation's settings
# over the fitted network): the output layer's weights with the full GGN (a few hundred weights:
# exact, and cheap for any hidden size) and the prior's precision chosen by the evidence. On the
# UCI protocol's 20 splits (bench/studies/laplace_uci.md) this was at or below the plain network's
# test NLL on concrete, energy and yacht; every weight with a diagonal GGN cost yacht 0.09 nats.
TABLE_LAPLACE: MappingProxyType = MappingProxyType({
    "subset": "last-layer",
    "hessian": "ggn",
    "prior_precision": "evidence",
})  # fmt: skip
