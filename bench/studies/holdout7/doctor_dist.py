"""h7-doctor-visits seed 0: the held-out rows where the chosen hurdle-NB GLM's upper quantile is inf (after doctor_repro.py)."""
import pickle, numpy as np, pandas as pd
from bench import selection as B
model = pickle.load(open("/tmp/h7/diag/h7-doctor-visits-0-model.pkl", "rb"))
frame = pd.read_csv("/tmp/h7/cli/h7-doctor-visits.csv")
tr, te = B._split_rows(frame.shape[0], 0)
held = frame.iloc[te]
d = model.predict_dist(held)
print(type(d).__name__, [ (k, type(v).__name__) for k, v in vars(d).items()][:10])
import probnn._crps_discrete as C, inspect
src = inspect.getsource(C._crps_integers); print(src[:1500])
top = d._icdf(np.full(d.batch_shape, 1.0 - C._LATTICE_TAIL))
bad = ~np.isfinite(top)
print("rows", top.size, "inf top", bad.sum())
b = d.base
print({k: (np.asarray(v)[bad][:3] if isinstance(v, np.ndarray) and np.asarray(v).shape == top.shape else None) for k, v in vars(b).items()})
print("pi", np.exp(d._log_pi)[bad][:3], "mean", np.asarray(d.mean)[bad][:3])
print(held[bad.ravel()].head())
print("NB base icdf at 1-1e-13:", b._icdf(np.full(b.batch_shape, 1 - 1e-13))[bad][:3])
print("base icdf 0.999", b._icdf(np.full(b.batch_shape, 0.999))[bad][:3])
