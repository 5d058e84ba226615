"""Biological side (Brian2): neuron models, f-I curves, analytic oracles, spiking networks.

Modules, each one job:

``neurons``   model definitions (equations, parameters and the rules they obey)
``fi``        f-I curves: one NeuronGroup for every current x trial, one run
``fi_core``   what every f-I backend shares: checked settings, the group, the measures
``fi_program`` the f-I curve's compiled program, built once and kept in the user cache
``standalone`` compiled Brian2 programs in the user cache: build once, rerun with new inputs
``theory``    analytic oracles: LIF rate, Siegert rate, Brunel mean-field rate
``network``   the Brunel (2000) balanced network: building and simulating it
``network_config`` its configuration (``BrunelConfig``), checked at construction
``poisson``   exact Poisson counts of a small mean from one uniform draw (the external drive)
``activity``  spike-train measures of a population (numpy only; no Brian2 needed)
``energy``    ATP budget of signalling (Attwell & Laughlin 2001, Howarth et al. 2012)
``units``     the one place where parameters are checked and quantities meet table columns
``runtime``   Brian2 code-generation targets and seeding, shared by ``fi`` and ``network``
"""
