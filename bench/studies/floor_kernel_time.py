"""CPU time of mixture-normal fits on a 20,000-row count target with and without the integer
floor (min_scale 1/sqrt(2 pi)), GLM and (50, 50), 40 epochs. Run under PROBNN_ENGINE=auto /
numba: ``OMP_NUM_THREADS=1 PROBNN_ENGINE=numba PYTHONPATH=<tree> python
bench/studies/floor_kernel_time.py [reps]`` (rep 0 pays the imports and any compiling;
read rep 1). See floor_scale.md."""
import numpy as np, pandas as pd, warnings, time, math, sys
from probnn.tables.model import TabularModel
warnings.simplefilter("ignore")
rng=np.random.default_rng(0); n=20000
X=rng.normal(size=(n,5)); y=rng.poisson(np.exp(2+0.5*X[:,0]))
f=pd.DataFrame(X,columns=list("abcde")); f["y"]=y
for rep in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
  for ms in [0.0, 1/math.sqrt(2*math.pi)]:
    for hidden in [(), (50,50)]:
        t=time.process_time()
        m=TabularModel.fit(f,"y",family="mixture-normal",hidden=hidden,epochs=40,seed=0,family_params={"min_scale":ms})
        print(rep, round(ms,3), hidden, "cpu %.2fs"%(time.process_time()-t), m.estimator.n_iter_, flush=True)
