"""Biological side (Brian2): neuron models, f-I curves, analytic oracles, spiking networks.

Modules, each one job:

``neurons``   model definitions (equations, parameters and the rules they obey)
``fi``        f-I curves: one NeuronGroup for every current x trial, one run
``theory``    analytic oracles: LIF rate, Siegert rate, Brunel mean-field rate
``network``   the Brunel (2000) balanced network: configuration and simulation
``activity``  spike-train measures of a population (numpy only; no Brian2 needed)
``energy``    ATP budget of signalling (Attwell & Laughlin 2001, Howarth et al. 2012)
``units``     the one place where parameters are checked and quantities meet table columns
``runtime``   Brian2 code-generation targets and seeding, shared by ``fi`` and ``network``
"""
