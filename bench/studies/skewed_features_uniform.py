"""The log rule on a uniform feature from zero (stop 39 with resid_sd >= 0.5: 11 of 30 fired;
stop 40 with probnn.tables.log_scale's q95/q05 >= 100 at confidence bounds).

y = 1 + 2x + 0.5z + noise, x uniform(0, 1), 300 training rows, 100 held out, the normal GLM
(L-BFGS), with the rule (SPAN_MIN 100) and without (inf): how often it fires and what a
firing costs in held-out NLL per row. Run: OMP_NUM_THREADS=1 python -m bench.studies.skewed_features_uniform
"""
import warnings, numpy as np, pandas as pd
import probnn.tables.log_scale as ls
from probnn.tables.model import TabularModel
warnings.simplefilter("ignore")
res={"on":[], "off":[]}; fired=0
for seed in range(30):
    rng=np.random.default_rng(seed); n=400
    x=rng.uniform(0,1,n); z=rng.normal(size=n)
    y=1+2*x+0.5*z+0.3*rng.normal(size=n)
    f=pd.DataFrame({"x":x,"z":z,"y":y}); tr,te=f.iloc[:300],f.iloc[300:]
    for mode in ("on","off"):
        ls.SPAN_MIN = 100.0 if mode=="on" else np.inf
        ls.SHAPE_SPAN_MIN = 19.0 if mode=="on" else np.inf
        m=TabularModel.fit(tr,"y",family="normal",hidden=(),solver="lbfgs",seed=seed)
        if mode=="on": fired+= bool(m.preprocessor.logged_)
        res[mode].append(float(np.mean(m.nll_rows(te))))
d=np.array(res["on"])-np.array(res["off"])
print("fired",fired,"of 30; on-off per seed",np.round(d,3), "mean",d.mean())
