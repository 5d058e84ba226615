"""A few f-I curves simulated for an experiment that needs curves to fit but no ``fi_curves`` run,
and the fits of the activation families to simulated curves.

The ``compare`` experiment fits activation families to f-I curves; in the main job it reads them
from the ``fi_curves`` run, and on its own it simulates a few here, one
:func:`neuroact.bio.fi.fi_curve` call per curve, so that no experiment runs another.

A curve is ``(model, sigma_mV, high)``: a registered neuron model (:mod:`neuroact.bio.neurons`),
its noise in mV (``noisy_lif`` only) and the highest current in the model's current unit; the
currents are evenly spaced from 0.

See Also
--------
neuroact.experiments.fi_curves : the full set of curves, checked against the oracles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from brian2 import mV

from neuroact.bio.fi import check_run, fi_curve
from neuroact.bio.neurons import get_model
from neuroact.bio.units import check_count, check_number, from_columns
from neuroact.compare.fit import CURRENT_DENSITY_UNITS, CURRENT_UNITS, fit_families
from neuroact.parallel import Job

__all__ = ["check_curves", "curve_jobs", "curve_label", "fit_simulated", "simulate_curve"]


def check_curves(
    curves: Sequence[tuple[str, float, float]], n_currents: int, trials: int, run: dict
) -> None:
    """Check every curve (a known model, a noise level >= 0, a positive highest current), the
    number of currents (>= 2) and the run settings ``run`` (``duration_s``, ``transient_s``,
    ``dt_ms``, ``target``, ``seed``; :func:`neuroact.bio.fi.check_run`) before any simulation.
    """
    for curve in curves:
        if len(curve) != 3:
            raise ValueError(f"sim_curves must hold (model, sigma_mV, high); got {curve!r}")
        model, sigma, high = curve
        get_model(model)
        check_number("sim_curves sigma_mV", sigma, nonnegative=True)
        check_number("sim_curves high", high, positive=True)
    check_count("sim_currents", n_currents, minimum=2)
    check_run(trials=trials, **from_columns(run))


def simulate_curve(
    model: str,
    sigma_mV: float,
    high: float,
    n_currents: int,
    trials: int,
    run: dict,
) -> pd.DataFrame:
    """Job: the f-I curve of ``model`` (noise ``sigma_mV`` for ``noisy_lif``) at ``n_currents``
    currents from 0 to ``high`` in its current unit, as :meth:`neuroact.bio.fi.FICurve.to_frame`
    with a ``sigma_mV`` column; ``run`` as in :func:`check_curves`."""
    noise = {"sigma": sigma_mV * mV} if model == "noisy_lif" else {}
    definition = get_model(model, **noise)
    currents = np.linspace(0.0, high, n_currents) * definition.current_unit
    curve = fi_curve(definition, currents, trials=trials, **from_columns(run))
    return curve.to_frame().assign(sigma_mV=float(sigma_mV))


def curve_jobs(
    curves: Sequence[tuple[str, float, float]], n_currents: int, trials: int, run: dict
) -> list[Job]:
    """One :func:`simulate_curve` job per curve (``trials`` for the noisy LIF, 1 otherwise)."""
    return [
        Job(
            f"{model}_sigma={sigma:g}",
            {
                "model": model,
                "sigma_mV": float(sigma),
                "high": float(high),
                "n_currents": n_currents,
                "trials": trials if model == "noisy_lif" else 1,
                "run": run,
            },
        )
        for model, sigma, high in curves
    ]


_UNIT_ALIASES = {"uA/cm^2": "uA/cm2", "uA/cm**2": "uA/cm2", "µA/cm2": "uA/cm2", "µA": "uA"}


def _unit(name: str) -> str:
    """A current unit spelled the way :mod:`neuroact.compare.fit` knows it."""
    name = _UNIT_ALIASES.get(str(name).strip(), str(name).strip())
    if name not in CURRENT_UNITS and name not in CURRENT_DENSITY_UNITS:
        raise ValueError(f"current unit {name!r} of the f-I table is not a known current unit")
    return name


def curve_label(model: str, sigma_mV: float) -> str:
    """The name of one simulated curve: ``"lif"`` or ``"noisy_lif sigma=5 mV"``."""
    if sigma_mV is None or (isinstance(sigma_mV, float) and math.isnan(sigma_mV)) or sigma_mV == 0:
        return str(model)
    return f"{model} sigma={sigma_mV:g} mV"


def fit_simulated(
    fi: pd.DataFrame,
    families: Sequence[str],
    criterion: str = "aic",
    rate_column: str = "rate_Hz",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit ``families`` to every (model, sigma) curve of an ``fi_curves`` table, ranked by
    ``criterion``, the rates read from ``rate_column``.

    Returns ``(points, fits)``: the fitted points and one row per curve x family.
    """
    if (
        not isinstance(families, Sequence)
        or isinstance(families, str)
        or not all(isinstance(f, str) for f in families)
    ):
        raise TypeError(
            "families must be a sequence of family names such as ('relu', 'lif'); got "
            f"{type(families).__name__}"
        )
    fi = fi.copy()
    if "sigma_mV" not in fi:
        fi["sigma_mV"] = 0.0
    fi["sigma_mV"] = fi["sigma_mV"].fillna(0.0)
    points, fits = [], []
    for (model, sigma), d in fi.groupby(["model", "sigma_mV"], sort=False):
        unit = _unit(d["current_unit"].iloc[0]) if "current_unit" in d else "nA"
        label = curve_label(model, sigma)
        d = d.sort_values("current")
        comp = fit_families(
            d["current"].to_numpy(float),
            d[rate_column].to_numpy(float),
            families,
            criterion=criterion,
            current_unit=unit,
        )
        f = comp.to_frame()
        f.insert(0, "curve", label)
        f.insert(1, "model", model)
        f.insert(2, "sigma_mV", sigma)
        fits.append(f)
        points.append(
            pd.DataFrame(
                {
                    "curve": label,
                    "model": model,
                    "sigma_mV": sigma,
                    "current": d["current"].to_numpy(float),
                    "current_unit": unit,
                    "rate_Hz": d[rate_column].to_numpy(float),
                }
            )
        )
    return pd.concat(points, ignore_index=True), pd.concat(fits, ignore_index=True)
