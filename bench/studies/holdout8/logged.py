"""Which features of each h8- table the skewed-feature log rule (probnn/tables/log_scale.py)
reads as log x, on every row of the table (as probnn fit's preprocessor sees its training
rows; a split's training rows can differ near the threshold). python -m bench.studies.holdout8.logged"""
import tempfile
import warnings
from pathlib import Path

from bench._tables import write_csv
from bench._tables_holdout8 import holdout8_tables
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import read_table

warnings.simplefilter("ignore")
for table in holdout8_tables():
    frame, _ = table.load()
    with tempfile.TemporaryDirectory() as tmp:
        frame = read_table(write_csv(frame, Path(tmp), table.name))
    try:
        pre = Preprocessor(impute=table.impute).fit(frame.drop(columns=[table.target]))
        print(f"{table.name}: logged {list(getattr(pre, 'logged_', []))}")
    except Exception as exc:  # a refusal is a finding: say it
        print(f"{table.name}: preprocessor refused: {type(exc).__name__}: {exc}")
