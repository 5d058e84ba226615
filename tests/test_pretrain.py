"""Stacked denoising auto-encoder pre-training: noise, decoders, learning, reproducibility."""

import pytest
import torch
from numpy.testing import assert_allclose
from torch import nn

from neuroact.ann.data import load_dataset
from neuroact.ann.pretrain import (
    PretrainConfig,
    decoder_for,
    mask_noise,
    pretrain_layers,
    readout_error,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # tiny layers: one thread avoids spin-waiting on a shared CPU
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def pixels():
    x, _ = load_dataset("mnist-subset", split="train").take(400).tensors()
    return x


@pytest.fixture(scope="module")
def val_pixels():
    x, _ = load_dataset("mnist-subset", split="val").take(200).tensors()
    return x


def _stack(seed=0, sizes=(784, 32, 32)):
    torch.manual_seed(seed)
    return [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]


def test_mask_noise_zeroes_the_requested_fraction():
    x = torch.ones(200, 500)
    gen = torch.Generator().manual_seed(1)
    out = mask_noise(x, 0.25, gen)
    # Binomial(100000, 0.25): sd of the fraction is 0.0014, so 0.01 is a 7-sigma tolerance.
    assert_allclose(float((out == 0).float().mean()), 0.25, atol=0.01)
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    assert mask_noise(x, 0.0) is x


def test_decoder_follows_the_target_range():
    assert decoder_for(torch.tensor([[0.0, 0.5, 1.0]])) == "sigmoid"
    assert decoder_for(torch.tensor([[0.0, 3.0]])) == "softplus"
    assert decoder_for(torch.tensor([[-0.5, 0.5]])) == "linear"


@pytest.mark.parametrize("act", [torch.relu, torch.tanh, torch.sigmoid])
def test_reconstruction_loss_falls_in_every_layer(pixels, act):
    layers = _stack()
    before = [w.weight.detach().clone() for w in layers]
    cfg = PretrainConfig(epochs=3, lr=0.01, batch_size=20, noise=0.25, seed=0)
    hist = pretrain_layers(layers, act, pixels, cfg, progress=False).to_frame()
    assert list(hist["layer"].unique()) == [0, 1]
    assert (hist.groupby("layer")["decoder"].first().iloc[0]) == "sigmoid"  # pixels in [0, 1]
    for _, g in hist.groupby("layer"):
        loss = g.sort_values("epoch")["loss"].to_numpy()
        assert loss[-1] < loss[0], loss
    # weights written back in place
    assert all(not torch.equal(b, layer.weight) for b, layer in zip(before, layers, strict=True))


def test_upper_layer_decoder_matches_the_activation(pixels):
    cfg = PretrainConfig(epochs=1, batch_size=50)
    dec = {}
    for name, act in (("relu", torch.relu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid)):
        hist = pretrain_layers(_stack(), act, pixels[:200], cfg, progress=False).to_frame()
        dec[name] = hist.loc[hist["layer"] == 1, "decoder"].item()
    assert dec == {"relu": "softplus", "tanh": "linear", "sigmoid": "sigmoid"}


def test_same_seed_same_weights(pixels):
    cfg = PretrainConfig(epochs=1, batch_size=50, seed=3, max_samples=300)
    a, b = _stack(), _stack()
    pretrain_layers(a, torch.relu, pixels, cfg, progress=False)
    pretrain_layers(b, torch.relu, pixels, cfg, progress=False)
    for la, lb in zip(a, b, strict=True):
        assert torch.equal(la.weight, lb.weight)


def test_untied_decoder_trains(pixels):
    cfg = PretrainConfig(epochs=2, batch_size=20, tied=False)
    hist = pretrain_layers(_stack(), torch.relu, pixels[:300], cfg, progress=False).to_frame()
    assert (hist.groupby("layer")["loss"].agg(lambda s: s.iloc[-1] < s.iloc[0])).all()


def test_bad_input():
    with pytest.raises(ValueError, match="noise"):
        PretrainConfig(noise=1.0)
    with pytest.raises(ValueError, match="epochs"):
        PretrainConfig(epochs=0)
    with pytest.raises(ValueError, match=r"layers\[1\] takes 10 inputs"):
        pretrain_layers([nn.Linear(4, 5), nn.Linear(10, 3)], torch.relu, torch.rand(8, 4))
    with pytest.raises(ValueError, match="x must have shape"):
        pretrain_layers([nn.Linear(4, 5)], torch.relu, torch.rand(8, 6))
    with pytest.raises(TypeError, match="nn.Linear"):
        pretrain_layers([nn.ReLU()], torch.relu, torch.rand(8, 4))


def test_each_layer_keeps_its_best_validation_epoch(pixels, val_pixels):
    # lr 0.5 overshoots: the validation loss rises again, so each layer stops after one epoch
    # without improvement and keeps the weights of its best epoch
    layers = _stack()
    cfg = PretrainConfig(epochs=6, lr=0.5, batch_size=20, patience=1)
    hist = pretrain_layers(layers, torch.relu, pixels, cfg, x_val=val_pixels, progress=False)
    hist = hist.to_frame()
    assert hist["val_loss"].notna().all()
    for _, g in hist.groupby("layer"):
        kept = g[g["kept"]]
        assert len(kept) == 1 and kept["val_loss"].item() == g["val_loss"].min()
        # stopped one epoch after the best, or ran out of epochs
        assert g["epoch"].max() == min(kept["epoch"].item() + 1, 6)
    # the bottom layer holds the kept epoch's weights: those of a run stopped at that epoch
    k = int(hist[(hist.layer == 0) & hist.kept]["epoch"].item())
    short = _stack()[:1]
    cfg_k = PretrainConfig(epochs=k, lr=0.5, batch_size=20, patience=0)
    pretrain_layers(short, torch.relu, pixels, cfg_k, x_val=val_pixels, progress=False)
    assert torch.equal(short[0].weight, layers[0].weight)


def test_without_validation_every_epoch_runs():
    cfg = PretrainConfig(epochs=2, batch_size=4, patience=1)
    hist = pretrain_layers([nn.Linear(4, 3)], torch.relu, torch.rand(8, 4), cfg, progress=False)
    hist = hist.to_frame()
    assert hist["epoch"].tolist() == [1, 2] and hist["kept"].tolist() == [False, True]
    assert hist["val_loss"].isna().all()


def test_readout_error_separates_separable_codes_and_not_noise():
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(400) % 4
    centres = 3 * torch.randn(4, 20, generator=gen)
    codes = centres[y] + torch.randn(400, 20, generator=gen)
    assert readout_error(codes[:300], y[:300], codes[300:], y[300:]) == 0.0
    noise = torch.randn(400, 20, generator=gen)  # no information: about chance (3/4 wrong)
    err = readout_error(noise[:300], y[:300], noise[300:], y[300:])
    assert 0.55 < err < 0.95
    with pytest.raises(ValueError, match="same units"):
        readout_error(codes[:10], y[:10], codes[:10, :5], y[:10])
