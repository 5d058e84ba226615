"""Artificial side (PyTorch): data, activation families, models, probes and training."""
