"""The bridge: a trained rectifier network run as spiking neurons, measured on the brain's scale.

The package's two worlds meet here. A trained :mod:`neuroact.ann` network (the 784-1000-1000-
1000-10 MLP, or any ``nn.Sequential`` of Linear layers and ReLU units) is converted into its
spiking twin (:mod:`~neuroact.bridge.convert`): integrate-and-fire neurons with reset by
subtraction and data-based weight normalisation (Diehl et al. 2015; Rueckauer et al. 2017), or
the package's leaky integrate-and-fire neuron (:mod:`neuroact.bio.neurons`), which a network
trained with the soft-LIF unit (Hunsberger & Eliasmith 2015) runs on natively. The twin runs on
two engines with one update order: Brian2 (:mod:`~neuroact.bridge.brian2_engine`, the reference)
and a vectorised, event-driven PyTorch engine (:mod:`~neuroact.bridge.engine`) for the full
test set and for sweeps. Its spikes are measured as the population experiment measures a
cortical network (:mod:`~neuroact.bridge.measures`: rates, fraction active per window, spikes
and ATP per image) and set against accuracy (:mod:`~neuroact.bridge.frontier`).

Imports run one way: the bridge uses ``ann``, ``bio`` and ``sparsity``; neither ``ann`` nor
``bio`` imports it.
"""

from neuroact.bridge.convert import SpikingNetwork, ann_stages, convert
from neuroact.bridge.engine import simulate
from neuroact.bridge.neurons import Neuron, make_neuron
from neuroact.bridge.result import SimulationResult

__all__ = [
    "Neuron",
    "SimulationResult",
    "SpikingNetwork",
    "ann_stages",
    "convert",
    "make_neuron",
    "simulate",
]
