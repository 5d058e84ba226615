"""Quick profiles of the rectifier-paper experiments: their tables checked against each other
and against what the papers predict, plus the shared training plumbing.

Each experiment's quick profile runs once per module (seconds each, on the embedded MNIST
subset).
"""

import ast
import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose

from neuroact.ann.train import TrainConfig
from neuroact.experiments import (
    EXPERIMENTS,
    activity_at_init,
    glorot_table1,
    sparsity_vs_error,
    training_speed,
    vanishing_gradients,
)
from neuroact.experiments._training import ExperimentRun, with_overrides
from neuroact.experiments.sparsity_vs_error import band_table, fit_hinge
from neuroact.experiments.training_speed import ratio_table, time_to_target
from neuroact.literature import GLOROT_2011_TABLE1_MNIST


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # small networks: one thread avoids spin-waiting on a shared CPU
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _run(module, tmp_path_factory):
    out = tmp_path_factory.mktemp(module.__name__.rsplit(".", 1)[-1])
    return module.run(module.PROFILES["quick"], out, progress=False)


@pytest.fixture(scope="module")
def table1_run(tmp_path_factory):
    return _run(glorot_table1, tmp_path_factory)


@pytest.fixture(scope="module")
def sve_run(tmp_path_factory):
    return _run(sparsity_vs_error, tmp_path_factory)


@pytest.fixture(scope="module")
def speed_run(tmp_path_factory):
    return _run(training_speed, tmp_path_factory)


@pytest.fixture(scope="module")
def vg_run(tmp_path_factory):
    return _run(vanishing_gradients, tmp_path_factory)


@pytest.fixture(scope="module")
def activity_run(tmp_path_factory):
    return _run(activity_at_init, tmp_path_factory)


# glorot_table1 ---------------------------------------------------------------------------------


def test_table1_rows_errors_and_sparsity(table1_run):
    cfg = glorot_table1.PROFILES["quick"]
    table = table1_run.read_table("table1").set_index(["activation", "pretrain"])
    expected = {(a, "none") for a in cfg.activations} | {(u, "dae") for u in cfg.pretrain_units}
    assert set(table.index) == expected
    for act in cfg.activations:  # every net learned something: below chance
        assert table.loc[(act, "none"), "test_error_pct_mean"] < 60
    # fresh seeds only; the pre-trained unit has its seeds with and without pre-training
    nets = table1_run.read_table("networks")
    assert cfg.search_seed not in set(nets["seed"])
    relu = nets[nets.activation == "relu"].groupby("pretrain")["seed"].apply(set)
    assert relu["none"] == relu["dae"] == set(cfg.pretrain_seeds) | set(cfg.seeds)
    # the paper's values sit beside full-MNIST results only, never beside the embedded subset
    assert table["paper_test_error_pct"].isna().all()
    paper = glorot_table1.summary_table(nets.assign(dataset="mnist"))
    paper = paper.set_index(["activation", "pretrain"])
    assert_allclose(paper.loc[("relu", "none"), "paper_test_error_pct"], 1.43)
    assert_allclose(paper.loc[("relu", "dae"), "paper_test_error_pct"], 1.20)
    # a seed at chance is counted as collapsed (and stays in the mean)
    broken = nets.copy()
    broken.loc[broken.index[0], "test_error"] = 0.9
    counted = glorot_table1.summary_table(broken).set_index(["activation", "pretrain"])
    first = tuple(broken.loc[broken.index[0], ["activation", "pretrain"]])
    assert counted.loc[first, "n_collapsed"] == 1 and counted["n_collapsed"].sum() == 1
    assert (table["n_collapsed"] == 0).all()
    # rectifiers give exact zeros, tanh (output view, eps 0.01) almost none
    relu, tanh = table.loc[("relu", "none")], table.loc[("tanh", "none")]
    assert relu["frac_zero_eps"] == 0 and tanh["frac_zero_eps"] > 0
    assert relu["frac_zero_mean"] > 0.3 > 0.1 > tanh["frac_zero_mean"]
    # the table is the networks' spread: means by hand, ranks by error within a setting
    by_hand = nets.groupby(["activation", "pretrain"])["test_error"].mean() * 100
    assert_allclose(table["test_error_pct_mean"].sort_index(), by_hand.sort_index())
    for _, g in table.reset_index().groupby("pretrain"):
        assert g.sort_values("test_error_pct_mean")["rank"].tolist() == list(range(1, len(g) + 1))
    # each network ends with its best-validation epoch and is tested there
    assert (nets["final_epoch"] == nets["best_val_epoch"]).all()


def test_table1_search_is_the_same_budget_chosen_on_validation(table1_run):
    cfg = glorot_table1.PROFILES["quick"]
    search = table1_run.read_table("search")
    for _, g in search.groupby("activation"):
        assert len(g) == cfg.trials and g["continued"].sum() == cfg.finalists
        # the finalists are the best after the first rung, the choice the best finalist
        rung = g.sort_values(["rung_val_error", "rung_val_loss"])
        assert set(rung["job"][: cfg.finalists]) == set(g.loc[g["continued"], "job"])
        best = g[g["continued"]].sort_values(["final_val_error", "rung_val_error"]).iloc[0]
        assert g.loc[g["chosen"], "job"].tolist() == [best["job"]]
    # the same points for every unit; L1 only for rectifiers
    points = search.groupby("activation")[["lr", "lr_schedule", "init_scale"]]
    assert all((p.reset_index(drop=True) == points.get_group("relu").reset_index(drop=True))
               .all().all() for _, p in points)  # fmt: skip
    assert (search.loc[search.activation != "relu", "l1"] == 0).all()
    # the chosen setting is what the test networks were trained with
    chosen = table1_run.read_table("chosen").set_index("activation")
    nets = table1_run.read_table("networks")
    for act, row in chosen.iterrows():
        mine = nets[nets.activation == act]
        assert (mine["lr"] == row["lr"]).all() and (mine["init_scale"] == row["init_scale"]).all()
    # the noise level: the lowest read-out validation error
    noise = table1_run.read_table("noise")
    assert sorted(noise["noise"]) == sorted(cfg.noise_grid)
    best = noise["readout_val_error"].min()
    assert noise.loc[noise["chosen"], "readout_val_error"].item() == best


def test_search_settings_stratify_every_dimension():
    cfg = dataclasses.replace(glorot_table1.PROFILES["full"], trials=8)
    grid = glorot_table1.settings(cfg)
    lo, hi = (math.log(v) for v in cfg.space["lr"])
    strata = np.floor((np.log(grid["lr"]) - lo) / (hi - lo) * 8).astype(int)
    assert sorted(strata) == list(range(8))  # a Latin hypercube: one lr per stratum
    assert grid["lr_schedule"].value_counts().tolist() == [4, 4]
    assert (grid["l1"] == 0).sum() == 4 and grid["l1"].max() <= cfg.space["l1"][1]
    assert grid["init_scale"].between(*cfg.space["init_scale"]).all()
    pd.testing.assert_frame_equal(grid, glorot_table1.settings(cfg))  # seeded


def test_table1_resumes_without_retraining(table1_run):
    before = table1_run.read_table("networks")
    again = glorot_table1.run(glorot_table1.PROFILES["quick"], table1_run.path, progress=False)
    pd.testing.assert_frame_equal(again.read_table("networks"), before)
    assert not list((table1_run.path / "checkpoints").glob("*.pt"))  # cleaned after each net


# sparsity_vs_error -----------------------------------------------------------------------------


def test_hinge_recovers_a_known_breakpoint():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.0, 120)
    y = 0.015 + 0.2 * np.maximum(0, x - 0.88) + rng.normal(0, 0.0005, x.size)
    fit = fit_hinge(x, y, n_boot=200, seed=1)
    assert abs(fit.breakpoint - 0.88) < 0.01
    assert fit.ci_low <= 0.88 <= fit.ci_high and fit.rises and fit.slope_ci_low > 0
    assert_allclose([fit.level, fit.slope], [0.015, 0.2], rtol=0.1)
    flat = fit_hinge(x, 0.015 + rng.normal(0, 0.0005, x.size), n_boot=200)
    assert abs(flat.slope) < 0.02 and not flat.rises
    with pytest.raises(ValueError, match="at least 6"):
        fit_hinge([0.1, 0.2], [0.1, 0.2])


def test_band_table_difference_from_below_85():
    nets = pd.DataFrame(
        {"frac_zero": [0.6, 0.75, 0.8, 0.97, 0.98], "test_error": [0.01] * 3 + [0.03] * 2}
    )
    bands = band_table(nets, n_boot=50).set_index("sparsity_low")
    assert bands.loc[0.95, "n"] == 2
    assert_allclose(bands.loc[0.95, "diff_vs_below85_pct"], 2.0)
    assert math.isnan(bands.loc[0.0, "diff_vs_below85_pct"])


def test_l1_penalty_makes_rectifiers_sparser(sve_run):
    nets = sve_run.read_table("networks")
    by_l1 = nets.groupby("l1")["frac_zero"].mean()
    assert by_l1.index[0] == 0
    assert by_l1.iloc[-1] > by_l1.iloc[0] + 0.2  # the strongest penalty silences most units
    assert by_l1.is_monotonic_increasing
    hinge = sve_run.read_table("hinge").iloc[0]
    # networks left at chance by the strongest penalty are flagged and kept out of the fit
    assert (nets["collapsed"] == (nets["test_error"] > 0.5)).all()
    learned = nets[~nets["collapsed"]]
    assert hinge["n"] == len(learned) and learned["frac_zero"].min() <= hinge["breakpoint"]
    bands = sve_run.read_table("bands")
    assert bands["n_collapsed"].sum() == nets["collapsed"].sum()
    assert bands["n"].sum() == len(nets)
    # each network's sparsity is its hidden layers' mean share of zeros at the last epoch
    history = sve_run.read_table("history")
    last = history[(history.layer_kind == "hidden") & (history.epoch == history.epoch.max())]
    assert_allclose(nets["frac_zero"], last.groupby("job", sort=False)["frac_zero"].mean())


# training_speed --------------------------------------------------------------------------------


def test_time_to_target_interpolates_in_log_error():
    # between epoch 2 (20%) and 3 (5%), 10% is half-way in log error
    ep, sec = time_to_target([0, 1, 2, 3], [np.nan, 0.5, 0.2, 0.05], [0, 1, 2, 4], 0.1)
    assert_allclose([ep, sec], [2.5, 3.0])
    assert time_to_target([0, 1], [np.nan, 0.5], [0, 1], 0.1) == (math.inf, math.inf)
    with pytest.raises(ValueError, match="target"):
        time_to_target([0], [0.5], [0], 1.5)


def test_choose_lr_never_picks_a_diverged_rate(tmp_path):
    search = pd.DataFrame(
        {
            "model": "mlp",
            "activation": "sigmoid",
            "lr": [0.01, 0.1],
            "epochs_to_target": math.inf,  # neither reaches the target
            "diverged": [False, True],
            "final_train_error": [0.9, 0.887],  # the diverged run's last error is its epoch 0
            "final_val_error": [0.9, 0.88],
        }
    )
    for rule in training_speed.LR_RULES:
        assert training_speed.choose_lr(search, rule)["lr"].tolist() == [0.01]
    with pytest.raises(ValueError, match="rule must be one of"):
        training_speed.choose_lr(search, "fastest")
    with pytest.raises(ValueError, match="seeds must not include search_seed"):
        training_speed.run(training_speed.Config(seeds=(0, 1)), tmp_path, progress=False)


def test_choose_lr_by_validation_or_by_speed_to_the_lowest_target():
    # rate 0.1 reaches both targets fastest; rate 0.03 reaches only the easy one but
    # generalises best: the validation rule takes 0.03, AlexNet's speed rule 0.1
    runs = pd.DataFrame(
        {
            "model": "cnn4",
            "activation": "relu",
            "lr": [0.03, 0.03, 0.1, 0.1, 0.3, 0.3],
            "target": [0.25, 0.1] * 3,
            "epochs_to_target": [2.0, math.inf, 1.0, 4.0, 0.5, math.inf],
            "diverged": False,
            "final_train_error": [0.12, 0.12, 0.08, 0.08, 0.2, 0.2],
            "final_val_error": [0.10, 0.10, 0.11, 0.11, 0.2, 0.2],
        }
    )
    assert training_speed.choose_lr(runs, "validation")["lr"].tolist() == [0.03]
    assert training_speed.choose_lr(runs, "speed")["lr"].tolist() == [0.1]


def test_ratio_table_pairs_seeds():
    runs = pd.DataFrame(
        {
            "model": ["mlp"] * 4,
            "activation": ["relu", "relu", "tanh", "tanh"],
            "seed": [0, 1, 0, 1],
            "lr": [0.1, 0.1, 0.03, 0.03],
            "epochs_to_target": [1.0, 2.0, 3.0, 4.0],
            "seconds_to_target": [1.0, 1.0, 2.0, 2.0],
        }
    )
    r = ratio_table(runs).set_index("activation")
    assert_allclose(r.loc["tanh", ["ratio_mean", "ratio_min", "ratio_max"]], [2.5, 2.0, 3.0])
    assert_allclose(r.loc["relu", "ratio_mean"], 1.0)
    # a pair where either run missed the target is censored: neither 0 nor inf enters the mean
    censored = runs.copy()
    censored.loc[(censored.activation == "relu") & (censored.seed == 0), "epochs_to_target"] = (
        math.inf
    )
    censored["seconds_to_target"] = censored["epochs_to_target"]
    c = ratio_table(censored).set_index("activation")
    assert c.loc["tanh", "n_censored"] == 1
    assert_allclose(c.loc["tanh", "ratio_mean"], 2.0)  # seed 1 only: 4 / 2


def test_training_speed_quick(speed_run):
    cfg = training_speed.PROFILES["quick"]
    chosen = speed_run.read_table("chosen_lr")
    acts = {m: training_speed.grid(cfg, m)[0] for m in cfg.models}
    assert len(chosen) == sum(len(a) for a in acts.values())
    for row in chosen.itertuples():
        assert row.lr in training_speed.grid(cfg, row.model)[1]
    goals = training_speed.targets(cfg)
    runs = speed_run.read_table("runs")
    assert len(runs) == sum(len(acts[m]) * len(goals[m]) for m in cfg.models) * len(cfg.seeds)
    ratios = speed_run.read_table("ratios").set_index(["model", "target", "activation"])
    for model in cfg.models:
        for target in goals[model]:
            assert_allclose(ratios.loc[(model, target, "relu"), "ratio_mean"], 1.0)
        # relu reaches the (loose) quick targets; sigmoid is no faster
        assert runs[(runs.model == model) & (runs.activation == "relu")]["reached"].all()
        if "sigmoid" in acts[model]:
            sig = ratios.loc[(model, goals[model][0], "sigmoid")]
            assert sig["ratio_min"] >= 1.0 or sig["n_censored"] == sig["n_seeds"]
    # the four-layer CNN runs on its own data set, to each of its targets
    assert set(runs.loc[runs.model == "cnn4", "dataset"]) == {cfg.cnn4_dataset}
    tanh = ratios.loc[("cnn4", goals["cnn4"][0], "tanh")]
    assert tanh["ratio_ci_low"] <= tanh["ratio_mean"] <= tanh["ratio_ci_high"]
    # the end-of-epoch error on the fixed training subset, measured at epoch 0 too
    curves = speed_run.read_table("curves")
    assert curves["train_error"].notna().all() and curves["running_train_error"].isna().any()
    # the search seed is not reused for the ratios (winner's curse)
    assert cfg.search_seed not in set(runs["seed"])
    # epochs to target are those of the curves, run by run
    for row in runs.itertuples():
        g = curves[curves.job == row.job]
        ep, _ = time_to_target(g.epoch, g.train_error, g.cum_train_seconds, row.target)
        assert ep == row.epochs_to_target
    assert (speed_run.path / "training_speed_cnn4.png").is_file()


# vanishing_gradients ---------------------------------------------------------------------------


def test_sigmoid_gradients_vanish_at_init(vg_run):
    g = vg_run.read_table("grads_at_init")
    deep = g[(g.depth == 10) & (g.layer == 1) & (g.init == "torch")].set_index("activation")
    # bottom-layer gradient of a 10-layer sigmoid net: orders of magnitude below ReLU's
    assert deep.loc["sigmoid", "grad_norm"] < 1e-2 * deep.loc["relu", "grad_norm"]
    assert deep.loc["sigmoid", "bottom_over_top"] < 1e-4
    shallow = g[(g.depth == 2) & (g.layer == 1) & (g.init == "torch")].set_index("activation")
    assert shallow.loc["sigmoid", "bottom_over_top"] > 1e3 * deep.loc["sigmoid", "bottom_over_top"]
    # the normalised init keeps tanh gradients of the same order across layers
    tanh = g[(g.depth == 10) & (g.layer == 1) & (g.init == "xavier")].set_index("activation")
    assert 0.1 < tanh.loc["tanh", "bottom_over_top"] < 10
    # ... and so it does for the back-propagated gradient dL/dz; sigmoid's vanishes in both
    assert 0.1 < tanh.loc["tanh", "delta_bottom_over_top"] < 10
    assert deep.loc["sigmoid", "delta_bottom_over_top"] < 1e-4
    # sigmoid units at init sit near their midpoint
    sig = g[(g.activation == "sigmoid") & (g.layer_kind == "hidden")]
    assert sig["mean_activation"].between(0.3, 0.7).all()


def test_vanishing_gradients_training_table(vg_run):
    t = vg_run.read_table("training")
    cfg = vanishing_gradients.PROFILES["quick"]
    hidden = t[t.layer_kind == "hidden"]
    assert set(hidden["layer"]) == set(range(1, len(cfg.train.widths) + 1))
    assert set(hidden["epoch"]) == set(range(cfg.train.epochs + 1))
    assert (hidden.loc[hidden.epoch > 0, "grad_norm"] > 0).all()
    assert hidden.loc[hidden.activation == "relu", "saturation_frac"].isna().all()
    # bottom_over_top is layer 1's gradient norm over the top hidden layer's
    g = vg_run.read_table("grads_at_init")
    for (depth, _, _, _), net in g.groupby(["depth", "activation", "init", "seed"]):
        norms = net.set_index("layer")["grad_norm"]
        assert_allclose(net["bottom_over_top"], norms[1] / norms[depth])


# activity_at_init ------------------------------------------------------------------------------


def test_activity_at_init_and_after_training(activity_run):
    s = activity_run.read_table("summary").set_index(["activation", "init", "stage"])
    relu0 = s.loc[("relu", "xavier", "init")]
    # zero-mean weights, zero biases: half the rectifiers at exactly 0 at init, both views equal
    assert 0.4 < relu0["frac_active_output_mean"] < 0.6
    assert_allclose(relu0["frac_active_output_mean"], relu0["frac_active_input_mean"])
    for act in ("sigmoid", "tanh"):
        # dense: about half above the midpoint, and (almost) none near zero output
        assert 0.35 < s.loc[(act, "xavier", "init"), "frac_active_input_mean"] < 0.65
    assert s.loc[("sigmoid", "xavier", "init"), "frac_active_output_mean"] > 0.99
    assert s.loc[("relu", "xavier", "trained"), "frac_active_output_mean"] < 0.5
    # every trained network learned (chance is 0.9): its trained rows describe a trained network
    assert (s.xs("trained", level="stage")["test_error_mean"] < 0.3).all()
    # the summary averages the activity table's layers
    activity = activity_run.read_table("activity")
    by_hand = activity.groupby(["activation", "init", "stage"])["frac_active_output"].mean()
    assert_allclose(s["frac_active_output_mean"].sort_index(), by_hand.sort_index())
    # ... which are the history's hidden rows at epoch 0 and at the last epoch
    history = activity_run.read_table("history")
    relu = history[(history.activation == "relu") & (history.layer_kind == "hidden")]
    assert_allclose(relu[relu.epoch == 0]["frac_zero"].mean(), 1 - relu0["frac_active_output_mean"])


def test_activity_at_init_softplus_trains_at_its_own_rate():
    nets = activity_at_init.networks(activity_at_init.PROFILES["full"])
    assert {n.lr for n in nets.values() if n.activation == "softplus"} == {0.01}
    assert {n.lr for n in nets.values() if n.activation != "softplus"} == {0.05}
    # an alias names the same unit; a rate TrainConfig refuses is refused with its field named
    aliased = dataclasses.replace(activity_at_init.Config(), unit_lr={"rectifier": 0.02})
    assert activity_at_init.networks(aliased)["relu_xavier_s0"].lr == 0.02
    with pytest.raises(ValueError, match="lr must be a finite number > 0; got -1"):
        activity_at_init.networks(dataclasses.replace(aliased, unit_lr={"softplus": -1}))
    with pytest.raises(TypeError, match="unit_lr must be a dict"):
        activity_at_init.networks(dataclasses.replace(aliased, unit_lr=0.01))


# the shared plumbing -------------------------------------------------------------------------

ANN_EXPERIMENTS = (
    "train_networks",
    "glorot_table1",
    "sparsity_vs_error",
    "training_speed",
    "vanishing_gradients",
    "activity_at_init",
)


def test_no_experiment_imports_another():
    folder = Path(glorot_table1.__file__).parent
    for name in EXPERIMENTS:
        tree = ast.parse((folder / f"{name}.py").read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
        others = {f"neuroact.experiments.{e}" for e in EXPERIMENTS if e != name}
        assert not imported & others, (name, imported & others)


@pytest.mark.parametrize("name", ANN_EXPERIMENTS)
def test_every_profile_builds_its_networks_from_the_train_template(name):
    module = __import__(f"neuroact.experiments.{name}", fromlist=["PROFILES"])
    for config in module.PROFILES.values():
        assert isinstance(config.train, TrainConfig)
        # no experiment field repeats a TrainConfig field: the template is the one place
        own = {f.name for f in dataclasses.fields(config)}
        assert not own & {f.name for f in dataclasses.fields(TrainConfig)}


def test_networks_accept_unit_aliases_and_fill_in_the_template():
    cfg = glorot_table1.Config(
        activations=("rectifier", "smooth_rectifier"),
        train=TrainConfig(epochs=3, widths=(10,)),
        trials=2,
    )
    nets = glorot_table1.search_networks(cfg)
    assert list(nets) == [
        "search_relu_t0",
        "search_relu_t1",
        "search_softplus_t0",
        "search_softplus_t1",
    ]
    grid = glorot_table1.settings(cfg)
    assert nets["search_softplus_t1"].lr == grid["lr"][1] and nets["search_softplus_t1"].l1 == 0
    assert nets["search_relu_t1"].l1 == grid["l1"][1] and nets["search_relu_t1"].seed == 0
    assert {(n.epochs, n.widths, n.probes) for n in nets.values()} == {(3, (10,), False)}
    assert GLOROT_2011_TABLE1_MNIST[("rectifier", True)] == GLOROT_2011_TABLE1_MNIST[("relu", True)]


def test_with_overrides_routes_training_settings_into_the_template():
    quick = sparsity_vs_error.PROFILES["quick"]
    changed = with_overrides(quick, epochs=2, seeds=(5,), lr=None)
    assert changed.train.epochs == 2 and changed.seeds == (5,)
    assert changed.train.lr == quick.train.lr and quick.train.epochs == 3  # a copy
    with pytest.raises(ValueError, match=r"no field \['epoch'\]"):
        with_overrides(quick, epoch=2)
    with pytest.raises(TypeError, match="epochs must be a positive integer; got '2'"):
        with_overrides(quick, epochs="2")


def test_bad_config_is_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "run"
    bad = dataclasses.replace(activity_at_init.PROFILES["quick"], activations=("swish",))
    with pytest.raises(ValueError, match="activation must be one of"):
        activity_at_init.run(bad, out, progress=False)
    with pytest.raises(TypeError, match="activity_at_init.Config; got Config"):
        activity_at_init.run(sparsity_vs_error.PROFILES["quick"], out, progress=False)
    with pytest.raises(TypeError, match="unexpected keyword argument 'worker'"):
        activity_at_init.run(activity_at_init.PROFILES["quick"], out, worker=2)
    with pytest.raises(TypeError, match="config.train must be a TrainConfig"):
        ExperimentRun.open(
            dataclasses.replace(activity_at_init.Config(), train={"epochs": 1}),
            activity_at_init.Config,
            out,
        )
    assert not out.exists()
