"""Stacked denoising auto-encoder pre-training: noise, decoders, learning, reproducibility."""

import pytest
import torch
from numpy.testing import assert_allclose
from torch import nn

from neuroact.ann.data import load_dataset
from neuroact.ann.pretrain import PretrainConfig, decoder_for, mask_noise, pretrain_layers


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
