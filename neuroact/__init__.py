"""neuroact: biological neurons and artificial activation functions on the same measures."""

__version__ = "0.1.0"
