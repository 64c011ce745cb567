"""Streamed fits of scenario 6's table at several learning rates and averaging decays.

``python -m bench.studies.scenario6_rates [ROWS]`` (default 2,000,000): writes scenario 6's
synthetic table of ROWS rows to a temporary folder, fits ``fit_stream`` (hidden (64, 64), 3 epochs, seed 0,
one BLAS thread) with each setting below, and prints the held-out NLL over the streamed test rows
and the validation NLL per epoch (the truth's NLL is about 0.729). A note on what the defaults'
rate of 0.01 does on a table far larger than the data it was chosen on (its results:
bench/results/scenario6.md, beside the scenario's own).
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import warnings
from pathlib import Path

SETTINGS = {
    "lr 0.01, ema_decay 0.995 (the defaults)": {},
    "lr 0.01, ema_decay 0.9995": {"ema_decay": 0.9995},
    "lr 0.003, ema_decay 0.995": {"learning_rate_init": 0.003},
    "lr 0.003, no average": {"learning_rate_init": 0.003, "ema_decay": None},
}


def main(argv=None) -> None:
    from threadpoolctl import threadpool_limits

    from bench.scenario6 import write_dataset
    from probnn.tables.sources import TableSource
    from probnn.tables.streaming import fit_stream

    argv = sys.argv[1:] if argv is None else argv
    rows = int(argv[0]) if argv else 2_000_000
    warnings.simplefilter("ignore")
    tmp = Path(tempfile.mkdtemp(prefix="probnn-scenario6-rates-"))
    try:
        write_dataset(tmp / "data", rows, seed=0, log=lambda message: None)
        with threadpool_limits(1):
            for name, params in SETTINGS.items():
                model, info = fit_stream(TableSource(tmp / "data"), "y", hidden=(64, 64),
                                         epochs=3, seed=0, **params)  # fmt: skip
                scores = ", ".join(f"{v:.4f}" for v in model.estimator.validation_scores_)
                print(f"{name}: held-out NLL {info.metrics['nll_nats']:.4f} "
                      f"(validation per epoch {scores})", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
