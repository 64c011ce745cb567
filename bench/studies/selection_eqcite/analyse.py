"""Trace select_model's one-SE rule on a saved Selection (sel.py's pickle): each candidate's mean,
gap and paired SE to the best, whether it is 'near', the lower-mean candidates it is clearly behind,
and its five folds' means. Usage: python analyse.py /tmp/eqcite/TABLE.pkl"""
import pickle, sys
import numpy as np
from probnn.compare import paired_difference, paired_standard_errors
from probnn.selection import one_standard_error_choice, CAPACITIES
P = pickle.load(open(sys.argv[1], "rb"))
rows = P["nll_rows"]; folds = P["folds"]
sizes = [b.size for _, b in folds]; cut = np.cumsum([0] + sizes)
best, se = paired_standard_errors(rows)
mean = {c: float(np.mean(r)) for c, r in rows.items()}
print("best", best, "chosen", P["family"], P["capacity"])
order = sorted(rows, key=mean.get)
print(f"{'candidate':45s} mean   gap     SE    near? clearly-behind(lower-mean candidates)   folds' means")
for c in order:
    behind = [f"{d[0][:10]}/{d[1][:3]}({paired_difference(rows[c], rows[d])[0]:+.4f}+-{paired_difference(rows[c], rows[d])[1]:.4f})"
              for d in rows if mean[d] < mean[c] and paired_difference(rows[c], rows[d])[0] > paired_difference(rows[c], rows[d])[1]]
    within = not mean[c] - mean[best] > se[c]
    fm = [float(np.mean(rows[c][cut[i]:cut[i+1]])) for i in range(len(folds))]
    print(f"{c[0]+' '+c[1]:45s} {mean[c]:.4f} {mean[c]-mean[best]:+.4f} {se[c]:.4f} {str(within and not behind):5s} {'; '.join(behind)[:200]}  {np.round(fm,3)}")
