"""Training on small real subsets: learning, determinism, resume, damaged checkpoints,
divergence, bad settings, the experiment."""

from __future__ import annotations

import dataclasses
import math
import re

import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose

from neuroact.ann.checkpoints import damaged_path, previous_path
from neuroact.ann.train import (
    DIVERGED_LOSS_FACTOR,
    IDENTITY,
    Data,
    TrainConfig,
    TrainingDiverged,
    evaluate,
    l1_activation_penalty,
    load_checkpoint,
    load_data,
    train,
)
from neuroact.experiments import train_networks
from neuroact.experiments._training import SUMMARY_COLUMNS, train_network

TIME_COLUMNS = ["train_seconds", "train_cpu_seconds", "eval_seconds", "epoch_seconds"]


@pytest.fixture(scope="module")
def small() -> Data:
    """600 / 200 / 200 images of the embedded MNIST subset (all digits present)."""
    d = load_data("mnist-subset")
    perm = torch.randperm(d.train_x.shape[0], generator=torch.Generator().manual_seed(0))[:600]
    return Data(
        d.train_x[perm],
        d.train_y[perm],
        d.val_x[:200],
        d.val_y[:200],
        d.test_x[:200],
        d.test_y[:200],
        name="mnist-subset",
    )


def _cfg(**kw) -> TrainConfig:
    base = dict(
        dataset="mnist-subset",
        widths=(32, 32),
        epochs=3,
        batch_size=50,
        lr=0.05,
        lr_schedule="constant",
        eval_size=100,
        threads=1,
    )
    return TrainConfig(**(base | kw))


def _weights(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.state_dict().values()]


@pytest.mark.parametrize("activation", ["relu", "softplus", "sigmoid", "tanh", "leaky_relu"])
def test_each_activation_learns(small, activation):
    lr = 0.5 if activation == "sigmoid" else 0.05  # sigmoid nets need a larger step (slow start)
    res = train(_cfg(activation=activation, lr=lr), data=small, progress=False)
    h = res.history
    assert h.epoch.tolist() == [0, 1, 2, 3]
    assert h.train_loss.iloc[-1] < h.train_loss.iloc[1]
    assert h.val_loss.iloc[-1] < h.val_loss.iloc[0]
    assert h.val_error.iloc[-1] < 0.6  # chance is 0.9
    assert set(res.layers.layer) == {1, 2, 3}  # two hidden layers and the read-out
    trained = res.layers[res.layers.epoch > 0]
    assert (
        trained.grad_norm.notna().all() and res.layers[res.layers.epoch == 0].grad_norm.isna().all()
    )


def test_adam_and_cnn_train(small):
    res = train(_cfg(optimizer="adam", lr=1e-3, epochs=2), data=small, progress=False)
    assert res.history.val_loss.iloc[-1] < res.history.val_loss.iloc[0]
    cnn = dataclasses.replace(_cfg(model="cnn", widths=(4, 8, 16), epochs=1))
    img = Data(
        *(t.reshape(-1, 1, 28, 28) if t.dim() == 2 else t for t in dataclasses.astuple(small)[:6]),
        name="cnn",
    )
    r = train(cnn, data=img, progress=False)
    assert r.history.val_loss.iloc[-1] < r.history.val_loss.iloc[0]
    assert r.layers[r.layers.layer_kind == "hidden"].units.tolist()[-3:] == [4 * 576, 8 * 64, 16]


def test_same_seed_same_numbers_other_seed_differs(small):
    a = train(_cfg(epochs=2), data=small, progress=False)
    b = train(_cfg(epochs=2), data=small, progress=False)
    c = train(_cfg(epochs=2, seed=1), data=small, progress=False)
    pd.testing.assert_frame_equal(
        a.history.drop(columns=TIME_COLUMNS), b.history.drop(columns=TIME_COLUMNS)
    )
    pd.testing.assert_frame_equal(a.layers, b.layers)
    assert all(torch.equal(x, y) for x, y in zip(_weights(a.model), _weights(b.model), strict=True))
    assert not torch.equal(_weights(a.model)[0], _weights(c.model)[0])


class _Interrupt(Exception):
    pass


def _stop_after(last: int):
    """An ``on_epoch_end`` that interrupts training once epoch ``last`` is saved."""

    def stop(epoch, model, history):
        if epoch == last:
            raise _Interrupt

    return stop


def test_resume_after_interruption_gives_identical_weights(small, tmp_path):
    cfg = _cfg(epochs=3, lr_schedule="cosine", l1=1e-4)
    whole = train(cfg, data=small, checkpoint=tmp_path / "whole.pt", progress=False)

    ckpt = tmp_path / "part.pt"
    with pytest.raises(_Interrupt):
        train(cfg, data=small, checkpoint=ckpt, progress=False, on_epoch_end=_stop_after(2))
    assert load_checkpoint(ckpt)["epoch"] == 2
    resumed = train(cfg, data=small, checkpoint=ckpt, progress=False)
    for x, y in zip(_weights(whole.model), _weights(resumed.model), strict=True):
        assert torch.equal(x, y)
    pd.testing.assert_frame_equal(
        whole.history.drop(columns=TIME_COLUMNS), resumed.history.drop(columns=TIME_COLUMNS)
    )
    with pytest.raises(ValueError, match=r"different config \(fields \['lr'\]\)"):
        train(dataclasses.replace(cfg, lr=0.1), data=small, checkpoint=ckpt, progress=False)


def test_checkpoint_from_before_a_new_config_field_still_resumes(small, tmp_path):
    # a checkpoint written before TrainConfig gained train_eval_size: the field counts as its
    # default there, so the default config resumes and another value is refused
    cfg = _cfg(epochs=2)

    ckpt = tmp_path / "old.pt"
    with pytest.raises(_Interrupt):
        train(cfg, data=small, checkpoint=ckpt, progress=False, on_epoch_end=_stop_after(1))
    state = load_checkpoint(ckpt)
    del state["config"]["train_eval_size"]
    torch.save(state, ckpt)
    assert train(cfg, data=small, checkpoint=ckpt, progress=False).history.epoch.max() == 2
    torch.save(state, ckpt)
    with pytest.raises(ValueError, match=r"fields \['train_eval_size'\]"):
        train(dataclasses.replace(cfg, train_eval_size=10), data=small, checkpoint=ckpt)


def test_resume_from_the_epoch_0_checkpoint(small, tmp_path, monkeypatch):
    # Killed during epoch 1: only the checkpoint written after epoch 0 exists.
    import neuroact.ann.loop as train_module

    cfg = _cfg(epochs=2)
    whole = train(cfg, data=small, progress=False)
    real_save = train_module.save_checkpoint

    def killed_in_epoch_1(path, state):
        if state["epoch"] == 1:
            raise _Interrupt
        real_save(path, state)

    monkeypatch.setattr(train_module, "save_checkpoint", killed_in_epoch_1)
    ckpt = tmp_path / "c.pt"
    with pytest.raises(_Interrupt):
        train(cfg, data=small, checkpoint=ckpt, progress=False)
    monkeypatch.setattr(train_module, "save_checkpoint", real_save)
    assert load_checkpoint(ckpt)["epoch"] == 0
    resumed = train(cfg, data=small, checkpoint=ckpt, progress=False)
    assert resumed.history["epoch"].tolist() == [0, 1, 2]  # epoch 0 recorded once
    for x, y in zip(_weights(whole.model), _weights(resumed.model), strict=True):
        assert torch.equal(x, y)


def test_nan_loss_stops_with_message_and_keeps_last_good_checkpoint(small, tmp_path):
    ckpt = tmp_path / "run.pt"

    def poison(epoch, model, history):
        if epoch == 1:  # a weight goes NaN after epoch 1 was saved
            with torch.no_grad():
                model.hidden[0].layer.weight[0, 0] = float("nan")

    with pytest.raises(TrainingDiverged) as err:
        train(_cfg(), data=small, checkpoint=ckpt, progress=False, on_epoch_end=poison)
    msg = str(err.value)
    assert "loss became nan at epoch 2" in msg and "last good checkpoint (epoch 1)" in msg
    assert str(ckpt) in msg
    state = load_checkpoint(ckpt)
    assert state["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in state["model"].values())
    with pytest.raises(TrainingDiverged, match="no checkpoint was written"):
        train(_cfg(lr=1e6, epochs=1), data=small, progress=False)


def test_l1_penalty_definition_and_effect(small):
    a = [torch.tensor([[1.0, -2.0], [0.0, 3.0]]), torch.tensor([[4.0], [0.0]])]
    assert_allclose(float(l1_activation_penalty(a)), (3 + 3 + 4) / 2)  # per-example L1, batch mean
    plain = train(_cfg(epochs=2), data=small, progress=False).summary()
    sparse = train(_cfg(epochs=2, l1=0.01), data=small, progress=False).summary()
    assert sparse["frac_zero"] > plain["frac_zero"] + 0.05


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"epochs": 0}, "epochs"),
        ({"lr": -0.1}, "lr"),
        ({"widths": (10, 0)}, "widths"),
        ({"momentum": 1.5}, "momentum"),
        ({"l1": float("nan")}, "l1"),
        ({"optimizer": "rmsprop"}, r"\['sgd', 'adam'\]"),
        ({"activation": "swish"}, "relu"),
        ({"init": "lecun"}, "xavier"),
    ],
)
def test_impossible_configs_name_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _cfg(**kwargs)


def test_settings_restored_and_probes_off(small):
    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    res = train(_cfg(epochs=1, probes=False, threads=1), data=small, progress=False)
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == det
    assert res.layers.empty and pd.isna(res.summary()["frac_zero"])
    # the bare loop trains the same weights: probes only observe
    probed = train(_cfg(epochs=1, threads=1), data=small, progress=False)
    assert all(
        torch.equal(x, y) for x, y in zip(_weights(res.model), _weights(probed.model), strict=True)
    )


def test_experiment_writes_summary_and_history(tmp_path):
    cfg = train_networks.Config(
        networks=(("relu", 0.0), ("tanh", 0.0)),
        train=TrainConfig(
            dataset="mnist-subset",
            widths=(16, 16),
            epochs=2,
            train_size=300,
            eval_size=100,
            batch_size=50,
        ),
    )
    run = train_networks.run(cfg, tmp_path / "run", progress=False)
    summary = run.read_table("training_summary")
    assert list(summary.columns[: len(SUMMARY_COLUMNS)]) == list(SUMMARY_COLUMNS)
    assert summary.activation.tolist() == ["relu", "tanh"]
    history = run.read_table("history")
    assert len(history) == 2 * 3 * 3  # networks x epochs (0, 1, 2) x (2 hidden + read-out)
    # the summary is the final epoch of the history: errors, and sparsity averaged over layers
    for row in summary.itertuples():
        net = history[(history.activation == row.activation) & (history.epoch == 2)]
        assert row.epochs == 2 and row.test_error == net.test_error.iloc[0]
        hidden = net[net.layer_kind == "hidden"]
        assert_allclose(row.frac_zero, hidden.frac_zero.mean())
    assert summary.set_index("activation").loc["relu", "frac_zero_eps"] == 0.0
    assert not list((run.path / "checkpoints").glob("*.pt*"))  # deleted once saved in jobs/
    before = (run.path / "jobs" / "networks").stat().st_mtime_ns
    train_networks.run(cfg, tmp_path / "run", progress=False)  # resumes: nothing retrained
    assert (run.path / "jobs" / "networks").stat().st_mtime_ns == before


def test_diverged_run_can_be_recorded_as_a_result(small):
    cfg = TrainConfig(dataset="mnist-subset", widths=(16,), epochs=2, train_size=200)
    cfg = dataclasses.replace(cfg, eval_size=100, activation="tanh", lr=1e38, probes=False)
    with pytest.raises(TrainingDiverged):
        train_network(cfg, eval_limit=100)
    frame = train_network(cfg, diverged_ok=True, eval_limit=100)
    assert frame["diverged"].all() and frame["epoch"].max() < 2


def test_a_loss_blown_up_far_above_chance_is_flagged_diverged(small):
    # tanh at lr 10: finite, but the loss of epoch 1 is ~275 nats at chance-level error; before
    # the criterion such a run came back as an ordinary result
    with pytest.raises(TrainingDiverged, match="mean training loss of epoch 1") as err:
        train(_cfg(activation="tanh", lr=10.0), data=small, progress=False)
    h = err.value.result.history
    assert h.epoch.tolist() == [0, 1]  # the epoch that blew up is kept as evidence
    reference = max(math.log(10), h.val_loss.iloc[0])
    assert math.isfinite(h.train_loss.iloc[1])
    assert h.train_loss.iloc[1] > DIVERGED_LOSS_FACTOR * reference
    assert h.val_error.iloc[1] > 0.8  # chance is 0.9
    # the same rate, a notch lower, trains (badly) and is not flagged
    calm = train(_cfg(activation="tanh", lr=1.0), data=small, progress=False)
    assert calm.history.epoch.max() == 3


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"lr": "0.1"}, TypeError, "lr must be a finite number > 0; got '0.1' (str)"),
        ({"epochs": 2.5}, TypeError, "epochs must be a positive integer; got 2.5 (float)"),
        ({"widths": "300"}, TypeError, "widths must be a non-empty sequence"),
        ({"batch_size": True}, TypeError, "batch_size must be a positive integer; got True"),
        ({"seed": 1.0}, TypeError, "seed must be an integer >= 0; got 1.0"),
        ({"probes": "yes"}, TypeError, "probes must be True or False; got 'yes'"),
        ({"dataset": "mnsit"}, ValueError, "dataset must be one of ['mnist', 'fashion-mnist'"),
        ({"device": "gpu0"}, ValueError, "device must be a torch device"),
        ({"probe_percentile": 200}, ValueError, "probe_percentile must be a percentile"),
        ({"train_size": 0}, ValueError, "train_size must be None or an integer >= 1; got 0"),
    ],
)
def test_wrong_settings_are_refused_at_construction(kwargs, error, message):
    with pytest.raises(error) as err:
        TrainConfig(**kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_dataset_names_are_checked_without_loading_data(monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROACT_DATA_DIR", str(tmp_path))  # an empty folder: loading fails
    assert TrainConfig(dataset="fashion-mnist").dataset == "fashion-mnist"
    with pytest.raises(FileNotFoundError):
        train(TrainConfig(dataset="fashion-mnist", epochs=1), progress=False)
    with pytest.raises(ValueError, match="dataset='custom' needs the tensors"):
        train(TrainConfig(dataset="custom"), progress=False)


def test_unit_aliases_train_the_same_network(small):
    assert TrainConfig(activation="rectifier").activation == "relu"
    a = train(_cfg(epochs=1, activation="logistic", lr=0.5), data=small, progress=False)
    b = train(_cfg(epochs=1, activation="sigmoid", lr=0.5), data=small, progress=False)
    assert a.model.activation == "sigmoid" and set(a.to_frame().activation) == {"sigmoid"}
    assert all(torch.equal(x, y) for x, y in zip(_weights(a.model), _weights(b.model), strict=True))
    # no per-epoch or per-layer column shadows an identity column of the tidy table
    assert not set(IDENTITY) & (set(a.history.columns) | set(a.layers.columns))
    assert a.to_frame().lr.unique().tolist() == [0.5]


def _damage(path, how: str) -> None:
    raw = path.read_bytes()
    damaged = {"empty": b"", "truncated": raw[: len(raw) // 2], "garbage": b"not a torch file"}
    path.write_bytes(damaged[how])


@pytest.mark.parametrize("how", ["empty", "truncated", "garbage"])
def test_damaged_checkpoint_falls_back_to_the_previous_one(small, tmp_path, how):
    cfg = _cfg(epochs=3, lr_schedule="cosine")
    whole = train(cfg, data=small, progress=False)
    ckpt = tmp_path / "run.pt"
    with pytest.raises(_Interrupt):
        train(cfg, data=small, checkpoint=ckpt, progress=False, on_epoch_end=_stop_after(2))
    assert load_checkpoint(previous_path(ckpt))["epoch"] == 1
    _damage(ckpt, how)
    moved = f"{re.escape(str(ckpt))}.*moved to {re.escape(str(damaged_path(ckpt)))}"
    with pytest.warns(RuntimeWarning, match=moved):
        resumed = train(cfg, data=small, checkpoint=ckpt, progress=False)
    assert damaged_path(ckpt).is_file() and load_checkpoint(ckpt)["epoch"] == 3
    # resumed from epoch 1: the same weights and history as a run never interrupted
    for x, y in zip(_weights(whole.model), _weights(resumed.model), strict=True):
        assert torch.equal(x, y)
    pd.testing.assert_frame_equal(
        whole.history.drop(columns=TIME_COLUMNS), resumed.history.drop(columns=TIME_COLUMNS)
    )


def test_damaged_only_checkpoint_restarts_from_scratch(small, tmp_path):
    cfg = _cfg(epochs=2)
    whole = train(cfg, data=small, progress=False)
    ckpt = tmp_path / "run.pt"
    ckpt.write_bytes(b"\x00" * 100)
    with pytest.warns(RuntimeWarning, match="training restarts from scratch"):
        again = train(cfg, data=small, checkpoint=ckpt, progress=False)
    assert damaged_path(ckpt).read_bytes() == b"\x00" * 100  # kept for inspection
    assert again.history.epoch.tolist() == [0, 1, 2]
    for x, y in zip(_weights(whole.model), _weights(again.model), strict=True):
        assert torch.equal(x, y)


def test_train_eval_error_is_the_end_of_epoch_weights_on_the_training_head(small):
    res = train(_cfg(epochs=2, train_eval_size=300), data=small, progress=False)
    h = res.history
    # epoch 0 is measured (the untrained net near chance), not assumed
    assert 0.6 < h.train_eval_error.iloc[0] <= 1.0 and h.train_error.isna().iloc[0]
    err, loss = evaluate(res.model, small.train_x[:300], small.train_y[:300])
    assert_allclose([h.train_eval_error.iloc[-1], h.train_eval_loss.iloc[-1]], [err, loss])
    assert "train_eval_error" not in train(_cfg(epochs=1), data=small, progress=False).history
    with pytest.raises(ValueError, match="train_eval_size must be an integer >= 0; got -1"):
        _cfg(train_eval_size=-1)


# lean epochs, early stopping, pausing -----------------------------------------------------------


def test_lean_evaluation_keeps_the_final_numbers(small):
    # every epoch tested on the full test set vs only at the end: same final test error, same
    # probes; the per-epoch validation error is that of the first val_size images
    every = train(_cfg(epochs=3, test_every=1), data=small, progress=False)
    lean = train(_cfg(epochs=3, val_size=50), data=small, progress=False)
    h, e = lean.history, every.history
    assert h.test_error.notna().tolist() == [True, False, False, True]
    assert e.test_error.notna().all() and h.selected.tolist() == [False, False, False, True]
    assert_allclose(h.test_error.iloc[-1], e.test_error.iloc[-1])
    assert_allclose(h.test_error.iloc[-1], evaluate(lean.model, small.test_x, small.test_y)[0])
    pd.testing.assert_frame_equal(lean.layers, every.layers)
    # same weights (the evaluation does not touch training): the subset's error is recomputable
    err, _ = evaluate(lean.model, small.val_x[:50], small.val_y[:50])
    assert_allclose(h.val_error.iloc[-1], err)
    assert_allclose(e.val_error.iloc[-1], evaluate(every.model, small.val_x, small.val_y)[0])
    assert lean.summary()["test_error"] == h.test_error.iloc[-1]
    # the final validation error is the full set's, as when every epoch validates on all of it
    assert h.val_error_full.notna().tolist() == [False, False, False, True]
    assert lean.summary()["val_error"] == every.summary()["val_error"]


def test_early_stopping_ends_with_the_best_validation_weights(small):
    # lr 0.5 with momentum: the validation error jumps about, so patience 1 stops early
    res = train(_cfg(epochs=8, patience=1, lr=0.5), data=small, progress=False)
    h = res.history
    trained = h[h.epoch > 0]
    best = int(trained.loc[trained.val_error.idxmin(), "epoch"])
    # stopped exactly one epoch after the last improvement (or ran out of epochs)
    assert h.epoch.max() == min(best + 1, 8)
    assert h.loc[h.selected, "epoch"].tolist() == [best]
    # the model holds the best epoch's weights: its validation error is that epoch's
    err, _ = evaluate(res.model, small.val_x, small.val_y)
    assert_allclose(err, h.loc[h.selected, "val_error"].iloc[0])
    assert_allclose(evaluate(res.model, small.test_x, small.test_y)[0],
                    h.loc[h.selected, "test_error"].iloc[0])  # fmt: skip
    summary = res.summary()
    assert summary["final_epoch"] == best and summary["epochs"] == h.epoch.max()
    assert summary["test_error"] == h.loc[h.selected, "test_error"].iloc[0]


def test_pause_and_continue_equals_one_run(small, tmp_path):
    cfg = _cfg(epochs=4, patience=2, lr_schedule="cosine")
    whole = train(cfg, data=small, progress=False)
    ckpt = tmp_path / "paused.pt"
    part = train(cfg, data=small, checkpoint=ckpt, progress=False, pause_after=2)
    assert part.history.epoch.max() == 2 and not part.history.selected.any()
    assert part.history.test_error.iloc[1:].isna().all()  # no final test while paused
    rest = train(cfg, data=small, checkpoint=ckpt, progress=False)
    pd.testing.assert_frame_equal(
        whole.history.drop(columns=TIME_COLUMNS), rest.history.drop(columns=TIME_COLUMNS)
    )
    for x, y in zip(_weights(whole.model), _weights(rest.model), strict=True):
        assert torch.equal(x, y)


def test_init_scale_multiplies_the_weight_scale(small):
    from neuroact.ann.models import build_model

    one = build_model("mlp", widths=(32,), seed=3)
    two = build_model("mlp", widths=(32,), seed=3, init_scale=2.0)
    for a, b in zip(one.parameters(), two.parameters(), strict=True):
        assert_allclose(b.detach(), (2.0 if a.dim() > 1 else 1.0) * a.detach(), rtol=1e-6)
    res = train(_cfg(epochs=1, init_scale=2.0), data=small, progress=False)
    assert res.summary()["init_scale"] == 2.0
    with pytest.raises(ValueError, match="init_scale must be a finite number > 0; got 0"):
        _cfg(init_scale=0)


def test_four_layer_cnn_trains_and_probes_its_convolutions(small):
    res = train(_cfg(model="cnn4", widths=(8, 8, 16), epochs=4), data=small, progress=False)
    h = res.history
    assert h.val_error.iloc[0] > 0.8 and h.val_error.iloc[-1] < 0.65  # learns from chance
    hidden = res.layers[res.layers.layer_kind == "hidden"]
    # conv units are channel x position: 8 x 28 x 28, 8 x 14 x 14, 16 x 7 x 7
    assert sorted(hidden.units.unique()) == [784, 1568, 6272]
    assert len(res.layers[res.layers.epoch == 4]) == 4  # three convolutions and the read-out
