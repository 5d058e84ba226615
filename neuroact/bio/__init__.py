"""Biological side (Brian2): neuron models, f-I curves, analytic oracles, spiking networks."""
