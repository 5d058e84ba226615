"""Training on small real subsets: learning, determinism, resume, divergence, the experiment."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose

from neuroact.ann.activations import activation_names
from neuroact.ann.train import (
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

TIME_COLUMNS = ["train_seconds", "epoch_seconds"]


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
    import neuroact.ann.train as train_module

    cfg = _cfg(epochs=2)
    whole = train(cfg, data=small, progress=False)
    real_save = train_module._save_checkpoint

    def killed_in_epoch_1(path, state):
        if state["epoch"] == 1:
            raise _Interrupt
        real_save(path, state)

    monkeypatch.setattr(train_module, "_save_checkpoint", killed_in_epoch_1)
    ckpt = tmp_path / "c.pt"
    with pytest.raises(_Interrupt):
        train(cfg, data=small, checkpoint=ckpt, progress=False)
    monkeypatch.setattr(train_module, "_save_checkpoint", real_save)
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
    assert "relu" in activation_names()


def test_experiment_writes_summary_and_history(tmp_path):
    cfg = train_networks.Config(
        dataset="mnist-subset",
        networks=(("relu", 0.0), ("tanh", 0.0)),
        widths=(16, 16),
        epochs=2,
        train_size=300,
        eval_size=100,
        batch_size=50,
    )
    run = train_networks.run(cfg, tmp_path / "run", progress=False)
    summary = run.read_table("training_summary")
    assert list(summary.columns[: len(train_networks.SUMMARY_COLUMNS)]) == list(
        train_networks.SUMMARY_COLUMNS
    )
    assert summary.activation.tolist() == ["relu", "tanh"]
    assert (summary.epochs == 2).all() and summary.test_error.between(0, 1).all()
    history = run.read_table("history")
    assert len(history) == 2 * 3 * 3  # networks x epochs (0, 1, 2) x (2 hidden + read-out)
    for name in ("training_curves", "layer_sparsity", "gradient_norms"):
        assert (run.path / f"{name}.png").stat().st_size > 10_000
    before = (run.path / "jobs" / "networks").stat().st_mtime_ns
    train_networks.run(cfg, tmp_path / "run", progress=False)  # resumes: nothing retrained
    assert (run.path / "jobs" / "networks").stat().st_mtime_ns == before


def test_diverged_run_can_be_recorded_as_a_result(small):
    from neuroact.experiments.glorot_table1 import train_job

    kw = dict(dataset="mnist-subset", widths=(16,), epochs=2, train_size=200, eval_size=100)
    kw |= dict(activation="tanh", lr=1e38, momentum=0.9, probes=False, eval_limit=100)
    with pytest.raises(TrainingDiverged):
        train_job(**kw)
    frame = train_job(diverged_ok=True, **kw)
    assert frame["diverged"].all() and frame["epoch"].max() < 2


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
