"""Probe your own CNN like a cortex: its layers' sparsity next to a spiking network's.

Run it (``python examples/probe_your_cnn.py``) or step through its cells (``# %%``) in VS Code,
Spyder, PyCharm or Jupyter. It

1. trains a small CNN of your own (a plain ``nn.Module``) on Fashion-MNIST through a plain
   ``DataLoader`` (the data set is downloaded once, about 30 MB, if it is not found);
2. probes every activation layer with forward hooks (``neuroact.ann.probes.measure``);
3. simulates a small Brunel (2000) balanced network of LIF neurons in its sparse regime (Brian2);
4. plots the CNN's fraction of active units next to the network's fraction of neurons firing in
   a 50 ms window and Lennie's (2003) 1-4% for cortex.

``NEUROACT_EXAMPLE_SIZE=small`` runs a reduced version (fewer images, a shorter simulation).
"""

# %% Settings
import os

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from brian2 import ms, second
from torch import nn
from torch.utils.data import DataLoader, Subset

from neuroact.ann.data import FashionMNIST
from neuroact.ann.probes import measure
from neuroact.bio.network import BrunelConfig, simulate
from neuroact.figures import draw_band, plain_log_axis, theme
from neuroact.literature import LENNIE_2003

SMALL = os.environ.get("NEUROACT_EXAMPLE_SIZE") == "small"
TRAIN_IMAGES, EPOCHS, SIM_SECONDS = (2_000, 1, 0.5) if SMALL else (50_000, 2, 2.0)
torch.manual_seed(0)

# %% Data: torch Datasets and plain DataLoaders ("fit" = 50,000 training images, "val" 10,000)
train_set = Subset(FashionMNIST(split="fit", download=True), range(TRAIN_IMAGES))
val_set = Subset(FashionMNIST(split="val", download=True), range(2_000))
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
val_loader = DataLoader(val_set, batch_size=250)
print(f"training on {len(train_set)} images, probing on {len(val_set)}")


# %% A CNN of your own: BatchNorm, pooling and Dropout between the activations are fine
class MyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * 7 * 7, 128), nn.ReLU(),
            nn.Linear(128, 10),
        )  # fmt: skip

    def forward(self, x):
        return self.head(self.features(x))


model = MyCNN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(1, EPOCHS + 1):
    model.train()
    for images, labels in train_loader:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss of the last batch {loss.item():.3f}")

model.eval()
with torch.no_grad():
    wrong = sum(int((model(x).argmax(1) != y).sum()) for x, y in val_loader)
print(f"validation error: {100 * wrong / len(val_set):.1f}%")

# %% Probe: hooks on every activation module, removed afterwards
report = measure(model, val_loader, gradients=True)
table = report.to_frame()
columns = ["layer", "units", "frac_active_output", "dead_frac", "population_sparseness"]
print(table[[*columns, "backprop_grad_norm"]].to_string(index=False, float_format="%.3f"))
# a conv unit above is a channel at one position; pooled over positions, a channel is one unit:
by_channel = measure(model, val_loader, conv_unit="channel").to_frame()
print(by_channel[columns].to_string(index=False, float_format="%.3f"))

# %% A cortical network in its sparse regime (Brunel 2000: strong inhibition, weak drive)
network = BrunelConfig(
    n_exc=2000, c_exc=1000, g=8.0, eta=0.85, duration=SIM_SECONDS * second,
    transient=100 * ms, target="numpy", seed=0,
)  # fmt: skip
activity = simulate(network)
cortex = activity.fraction_active(50 * ms)
print(f"Brunel network: {activity.n_neurons} neurons, mean rate {activity.mean_rate_Hz():.2f} Hz")
for window in (10, 50, 100):
    print(f"  fraction firing in {window} ms: {100 * activity.fraction_active(window * ms):.2f}%")

# %% Side by side
names = [f"CNN {layer}" for layer in table.layer] + ["Brunel network, 50 ms"]
percent = [100 * f for f in table.frac_active_output] + [100 * cortex]
with theme():
    fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    bars = ax.bar(names, percent, color=["C0"] * len(table) + ["C3"])
    ax.bar_label(bars, fmt="%.1f%%")
    draw_band(ax, LENNIE_2003, zorder=0)
    plain_log_axis(ax, ticks=(0.5, 1, 2, 5, 10, 20, 50, 100))
    ax.set_ylabel("units or neurons active (%)")
    ax.legend(loc="upper right")
    ax.tick_params(axis="x", rotation=20)
plt.show()
