"""The claims registry and table reader, and the claims of the committed full run."""

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from neuroact.claims import (
    CLAIMS,
    N_TOO_SMALL,
    NOT_RUN,
    SUPPORTED,
    Claim,
    Statement,
    TableError,
    Tables,
    check_claims,
    claims_table,
    register,
)
from neuroact.claims.core import REGISTRY
from neuroact.claims.training import claim_pretraining
from neuroact.stats import TOO_FEW
from neuroact.vocabulary import label

FULL = Path(__file__).resolve().parents[1] / "results" / "full"


def _write(root, experiment, name, rows):
    folder = root / experiment
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


def test_registry_lists_the_ten_claims_in_table_order():
    assert list(CLAIMS) == [
        "claim_threshold", "claim_softplus", "claim_rectifier_fits", "claim_cortical_sparsity",
        "claim_sigmoid_half", "claim_rectifier_sparsity", "claim_vanishing",
        "claim_training_speed", "claim_pretraining", "claim_spiking_sparsity_bridge",
    ]  # fmt: skip
    assert all(check.__doc__ and "Verdict" in check.__doc__ for check in CLAIMS.values())


def test_empty_folder_names_the_missing_table_of_each_claim(tmp_path):
    table = claims_table(tmp_path)
    assert len(table) == 10 and set(table["verdict"]) == {NOT_RUN}
    assert set(table["measured"]) == {"-"}
    why = dict(zip(table["experiments"], table["why"], strict=True))
    assert why["fi_curves, compare"] == (
        "needs table fi_curves/fi_summary.csv (run the fi_curves experiment)"
    )
    assert why["train_networks, sparsity_vs_error"] == (
        "needs table train_networks/training_summary.csv or sparsity_vs_error/hinge.csv "
        "(run the train_networks or sparsity_vs_error experiment)"
    )


def test_a_missing_second_table_is_named_too(tmp_path):
    _write(tmp_path, "fi_curves", "fi_summary",
           [dict(model="lif", sigma_mV=0.0, last_silent_current=1.4, onset_rate_Hz=30.0,
                 top_rate_Hz=180.0)])  # fmt: skip
    claim = check_claims(tmp_path)[0]
    assert claim.verdict == NOT_RUN and "fi_curves/fi_curves.csv" in claim.why


def test_a_table_of_the_wrong_shape_is_an_error_naming_table_and_column(tmp_path):
    _write(
        tmp_path,
        "training_speed",
        "ratios",
        [dict(model="mlp", activation="tanh", n_seeds=3, n_censored=0, ratio_mean=2.0)],
    )
    with pytest.raises(TableError, match=r"training_speed/ratios.csv has no column 'ratio_sd'"):
        claims_table(tmp_path)
    with pytest.raises(ValueError):  # a TableError is a ValueError
        claims_table(tmp_path)
    (tmp_path / "training_speed" / "ratios.csv").write_text("")
    with pytest.raises(TableError, match="training_speed/ratios.csv is empty"):
        claims_table(tmp_path)


def test_unit_names_are_read_through_the_vocabulary(tmp_path):
    def rows(relu):
        means = {"none": 1.5, "dae": 1.4}
        return [dict(dataset="mnist", activation=relu, pretrain=p, test_error_pct_mean=m,
                     test_error_pct_sd=0.05, n=3) for p, m in means.items()]  # fmt: skip

    _write(tmp_path, "glorot_table1", "table1", rows("rectifier"))
    old_name = claim_pretraining(Tables(tmp_path))
    assert set(Tables(tmp_path).require("glorot_table1", "table1")["activation"]) == {"relu"}
    _write(tmp_path, "glorot_table1", "table1", rows("relu"))
    assert claim_pretraining(tmp_path) == old_name and old_name.verdict == SUPPORTED


def test_a_claim_needs_a_known_verdict():
    with pytest.raises(ValueError, match="verdict must be one of"):
        Claim("c", "s", "m", "maybe", "w", "e")


def test_a_new_experiment_adds_its_claim_in_one_place(tmp_path):
    twins = Statement("Spiking twins keep the ANN's accuracy", "ours", ("twins",))
    before = len(CLAIMS)

    @register(twins)
    def claim_twins(t: Tables) -> Claim:
        acc = t.require("twins", "accuracy", ["ann", "snn"])
        gap = float((acc["ann"] - acc["snn"]).max())
        return twins.result(f"gap {gap:.2f}", SUPPORTED if gap < 1 else "partly", "w", value=gap)

    try:
        assert list(CLAIMS)[-1] == "claim_twins"
        table = claims_table(tmp_path)
        assert len(table) == before + 1 and table["why"].iloc[-1].startswith("needs table twins/")
        _write(tmp_path, "twins", "accuracy", [dict(ann=98.0, snn=97.5)])
        row = claims_table(tmp_path).iloc[-1]
        assert (row["verdict"], row["value"]) == (SUPPORTED, 0.5)
    finally:
        REGISTRY.pop("claim_twins")


def _with_labels(text: str) -> str:
    """The committed full run's fit-family words, as the vocabulary's display labels."""
    for family in ("rectifier", "logistic", "power_law", "lif"):
        text = text.replace(f"{family} median", f"{label(family)} median")
    return text


def test_full_run_claims_equal_the_committed_claims():
    committed = pd.read_csv(FULL / "claims.csv")
    ours = claims_table(FULL)
    # claims registered after the committed run (their experiment absent there) are "not run"
    new = ~ours["claim"].isin(committed["claim"])
    assert set(ours.loc[new, "verdict"]) <= {NOT_RUN}
    ours = ours[~new].reset_index(drop=True)
    assert list(ours["verdict"]) == list(committed["verdict"])
    for col in ("claim", "source", "why", "experiments"):
        assert list(ours[col]) == list(committed[col])
    # the one deliberate change: fit families by their display labels, whatever the table says
    assert list(ours["measured"]) == [_with_labels(m) for m in committed["measured"]]
    assert "sigmoid (logistic) median R^2 0.971, wins 8/44" in ours["measured"].iloc[2]


def test_full_run_key_numbers_sit_beside_the_papers():
    c = {row.experiments: row for row in claims_table(FULL).itertuples()}
    pre = c["glorot_table1"]  # 1.81 - 1.76 points, Welch 95% CI, paper 1.43 - 1.20
    assert (round(pre.value, 2), round(pre.low, 2), round(pre.high, 2)) == (0.05, -0.04, 0.15)
    assert pre.paper_value == pytest.approx(0.23) and pre.unit == "points"
    # AlexNet's four-layer CNN to 25% training error: tanh 0.66x ReLU's epochs, against 6x
    speed = c["training_speed"]
    assert speed.value == pytest.approx(0.6613, abs=1e-4) and speed.low < 0.66 < speed.high < 1
    assert speed.paper_value == 6.0 and speed.verdict == "not supported"
    sparse = c["population_sparsity"]
    assert sparse.paper_low <= sparse.value <= sparse.paper_high
    hinge = c["train_networks, sparsity_vs_error"]
    assert hinge.low < hinge.value < hinge.high and hinge.paper_value == 0.85
    twins = c["bridge"]  # the fastest in-band point: 1.9% active per 50 ms by 50 ms
    assert twins.verdict == "supported"
    assert twins.paper_low <= twins.value <= twins.paper_high and twins.unit == "fraction"


def test_one_seed_per_setting_gives_n_too_small_not_a_crash(tmp_path):
    # the quick profile's Table 1: one seed each, sd NaN (this divided by zero before)
    shutil.copytree(FULL, tmp_path / "run")
    table1 = pd.read_csv(FULL / "glorot_table1" / "table1.csv")
    table1["n"], table1["test_error_pct_sd"] = 1, math.nan
    table1.to_csv(tmp_path / "run" / "glorot_table1" / "table1.csv", index=False)
    table = claims_table(tmp_path / "run")
    claim = table[table["experiments"] == "glorot_table1"].iloc[0]
    assert claim["verdict"] == N_TOO_SMALL and f"relu +0.05 ({TOO_FEW})" in claim["measured"]
    assert claim["why"] == (
        "pre-training removes +0.05 points of ReLU's error, but with fewer than 2 observations "
        f"on a side (n=1 and 1): {TOO_FEW}; judging it needs at least 2 seeds per setting"
    )
    assert math.isnan(claim["low"])
