"""The examples in the docstrings of the ANN side run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest
import torch

MODULES = (
    "neuroact.ann.activations",
    "neuroact.ann.config",
    "neuroact.ann.train",
    "neuroact.literature",
    "neuroact.experiments._training",
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the training example is tiny: one thread on a shared CPU
    try:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    finally:
        torch.set_num_threads(threads)
    assert result.attempted > 0 and result.failed == 0
