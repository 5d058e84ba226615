"""Comparison layer: fit activation families to f-I data and contrast sparsity levels."""
