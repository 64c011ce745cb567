"""The GLM stage of a small table's selection alone, with or without the branch's
``many_full_batch_fits`` (CPU seconds, one process each: whether the kernels are loaded
depends on what ran before in the process).

Usage: ``OMP_NUM_THREADS=1 python -m bench.studies.selection_time_glms TABLE {0,1}`` (TABLE an
``h8-`` name; 0: without the context, as main f784ee1's ``_run``; 1: with it). Alternate the two
in fresh processes.
"""
import sys, time, warnings, contextlib
warnings.simplefilter("ignore")
from bench.studies.selection_time_small import _frame
from bench.selection import _split_rows, _cli_defaults
from probnn.selection import cv_splits, _candidate_families
from probnn._selection_scores import _run, _Scores, _capacity_params
from probnn.tables.targets import target_kinds
from probnn.network import _fast
T, many = sys.argv[1], sys.argv[2] == "1"
table, frame = _frame(T)
tr, _ = _split_rows(frame.shape[0], 0); train = frame.iloc[tr]
p = _cli_defaults(table.impute); imp = p.pop("impute"); lev = p.pop("levels")
kinds, why = target_kinds(frame[table.target])
names = _candidate_families(kinds, None, None)
folds = cv_splits(train.shape[0], "auto", 0, None, None)
X, y = train.drop(columns=[table.target]), train[table.target]
common = dict(seed=0, impute=imp, levels=lev, family_params=None, n_jobs=1, calibration=False, censoring=None)
scores = _Scores(folds)
if not many:  # main's _run: no context
    _fast.many_full_batch_fits = contextlib.nullcontext
s = time.process_time()
_run(X, y, scores, names, "glm", range(len(folds)), _capacity_params("glm", {k: v for k, v in p.items()}, True), common)
print(T, "many" if many else "main", round(time.process_time() - s, 2), "numba" in sys.modules)
