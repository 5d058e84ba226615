"""f-I curves of five spiking neuron models, checked against the LIF oracles.

Question: what firing-rate-versus-current curves do the standard spiking models produce (the
curves the comparison layer fits ReLU, softplus and friends to), and how close are the
simulated integrate-and-fire curves to their analytic rates?

What it runs
------------
One job per (model, noise level) through :func:`neuroact.parallel.run_jobs` (resumable): each
is ONE :func:`neuroact.bio.fi.fi_curve` call, ``n_currents`` evenly spaced currents in the
model's range (``CURRENT_RANGES``) x trials in one NeuronGroup. Models: ``lif`` (sigma 0),
``noisy_lif`` at each ``noise_mV``, ``hh``, ``adex``, ``izhikevich_rs``, ``izhikevich_fs``.

Tables
------
``fi_curves.csv``   model, sigma_mV, current, current_unit, rate_Hz, rate_sem_Hz, first_rate_Hz,
                    cv_isi (+ n_spikes, trials, duration_s, transient_s, dt_ms, rate_method,
                    dt_limited, target, wall_s): one row per model x noise level x current.
                    ``current`` is in ``current_unit`` (nA for the point neurons, uA/cm2 for
                    HH and Izhikevich); ``dt_limited`` flags rates whose intervals are shorter
                    than 10 time steps (:mod:`neuroact.bio.fi`).
``fi_theory.csv``   the analytic LIF and Siegert rates on a fine current grid (same columns:
                    model, sigma_mV, current, current_unit, rate_Hz).
``fi_accuracy.csv`` per LIF curve: the largest relative error against its oracle where the
                    oracle is above 5 Hz, and how many points that covers.
``fi_summary.csv``  per curve: the lowest current with sustained firing, the first sustained
                    rate, the top current's steady and first-interval rates and their ratio.
Figure: ``fi_curves.png``.

Profiles: ``quick`` (41 currents, 0.6 s, dt 0.025 ms, 50 noisy trials) and ``full`` (61
currents, 2 s with 0.5 s transient, dt 0.01 ms, 100 noisy trials), both on ``target="auto"``:
the compiled programs of :mod:`neuroact.bio.fi`, built once per model and size and cached in
the user's cache folder. On 2 cores the quick profile takes about 70 s with an empty cache
(the builds; the numpy target took longer, 81 s) and 8 s once the programs are cached.
dt = 0.01 ms keeps the deterministic LIF within 0.2% of its analytic rate up to 180 Hz (the
error is the grid's threshold-crossing delay).

Every setting (models, ranges, noise levels, times) is checked before the first curve is
simulated or a file written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from brian2 import mV

from neuroact.bio.fi import check_run, fi_curve
from neuroact.bio.neurons import NeuronModel, get_model
from neuroact.bio.theory import lif_rate, siegert_rate
from neuroact.bio.units import check_count, check_number, from_columns
from neuroact.parallel import Job, run_jobs
from neuroact.results import RunFolder

# Current range per model, in the model's current unit (nA or uA/cm2), chosen to span the onset
# and a few hundred Hz at most.
CURRENT_RANGES: dict[str, tuple[float, float]] = {
    "lif": (0.0, 5.0),
    "noisy_lif": (0.0, 5.0),
    "hh": (0.0, 20.0),
    "adex": (0.0, 2.0),
    "izhikevich_rs": (0.0, 20.0),
    "izhikevich_fs": (0.0, 20.0),
}
COLUMNS = (
    "model",
    "sigma_mV",
    "current",
    "current_unit",
    "rate_Hz",
    "rate_sem_Hz",
    "first_rate_Hz",
    "cv_isi",
)


@dataclass
class Config:
    """Settings of one ``fi_curves`` run (times in seconds, dt in ms, noise in mV)."""

    models: tuple[str, ...] = (
        "lif",
        "noisy_lif",
        "hh",
        "adex",
        "izhikevich_rs",
        "izhikevich_fs",
    )
    noise_mV: tuple[float, ...] = (2.0, 5.0)
    n_currents: int = 61
    duration_s: float = 2.0
    transient_s: float = 0.5
    trials: int = 1  # deterministic models: every trial would be identical
    noisy_trials: int = 100
    dt_ms: float = 0.01
    target: str = "auto"
    seed: int = 0
    theory_points: int = 501
    current_ranges: dict[str, tuple[float, float]] = field(
        default_factory=lambda: dict(CURRENT_RANGES)
    )


PROFILES = {
    # coarser grid and dt, short runs: 8 s on two cores once the programs are cached
    "quick": Config(
        n_currents=41,
        duration_s=0.6,
        transient_s=0.3,
        noisy_trials=50,
        dt_ms=0.025,
    ),
    # compiled programs (built once per model and size, cached): 61 currents, 2 s, 100 trials
    # for the noisy LIF.
    "full": Config(),
}


def curve_model(model: str, sigma_mV: float) -> NeuronModel:
    """The registered ``model``; the noisy LIF with its noise ``sigma_mV`` (checked >= 0)."""
    if model != "noisy_lif":
        return get_model(model)
    return get_model(model, sigma=check_number("noise_mV", sigma_mV, nonnegative=True) * mV)


def simulate_curve(
    model: str,
    sigma_mV: float,
    low: float,
    high: float,
    n_currents: int,
    duration_s: float,
    transient_s: float,
    trials: int,
    dt_ms: float,
    target: str,
    seed: int,
) -> pd.DataFrame:
    """One f-I curve as a table (module-level so that it runs in worker processes)."""
    definition = curve_model(model, sigma_mV)
    currents = np.linspace(low, high, n_currents) * definition.current_unit
    times = from_columns({"duration_s": duration_s, "transient_s": transient_s, "dt_ms": dt_ms})
    curve = fi_curve(definition, currents, trials=trials, seed=seed, target=target, **times)
    frame = curve.to_frame()
    frame.insert(1, "sigma_mV", float(sigma_mV))
    frame["target"] = curve.target  # the target it ran on ("auto" resolved)
    frame["wall_s"] = curve.wall_seconds
    return frame


def _jobs(config: Config) -> list[Job]:
    """One job per (model, noise level); every setting checked before any job runs."""
    check_count("n_currents", config.n_currents)
    check_count("trials", config.trials)
    check_count("noisy_trials", config.noisy_trials)
    check_count("theory_points", config.theory_points, minimum=2)
    check_number("duration_s", config.duration_s, positive=True)
    check_number("transient_s", config.transient_s, nonnegative=True)
    check_number("dt_ms", config.dt_ms, positive=True)
    times = from_columns(
        {"duration_s": config.duration_s, "transient_s": config.transient_s, "dt_ms": config.dt_ms}
    )
    jobs = []
    for model in config.models:
        if model not in config.current_ranges:
            raise ValueError(
                f"models must each have a current range (Config.current_ranges, one of "
                f"{sorted(config.current_ranges)}); got {model!r}"
            )
        name, span = f"current_ranges[{model!r}]", tuple(config.current_ranges[model])
        if len(span) != 2 or not check_number(name, span[0]) < check_number(name, span[1]):
            raise ValueError(f"{name} must be (low, high) with low < high; got {span!r}")
        low, high = span
        trials = config.noisy_trials if model == "noisy_lif" else config.trials
        check_run(trials=trials, target=config.target, seed=config.seed, **times)
        sigmas = config.noise_mV if model == "noisy_lif" else (0.0,)
        for sigma in sigmas:
            curve_model(model, sigma)
            params = {
                "model": model,
                "sigma_mV": float(sigma),
                "low": float(low),
                "high": float(high),
                "n_currents": config.n_currents,
                "duration_s": config.duration_s,
                "transient_s": config.transient_s,
                "trials": trials,
                "dt_ms": config.dt_ms,
                "target": config.target,
                "seed": config.seed,
            }
            jobs.append(Job(f"{model}_sigma={sigma:g}", params))
    return jobs


def theory_table(config: Config) -> pd.DataFrame:
    """Analytic rates on a fine grid: the LIF formula and Siegert at every noise level.

    The oracles read the parameters of the simulated models (``R_m``, ``tau_m``, ...).
    """
    rows = []
    for model in ("lif", "noisy_lif"):
        if model not in config.models:
            continue
        definition = get_model(model)
        low, high = config.current_ranges[model]
        current = np.linspace(low, high, config.theory_points)
        sigmas = config.noise_mV if model == "noisy_lif" else (0.0,)
        for sigma in sigmas:
            rows.append(
                pd.DataFrame(
                    {
                        "model": model,
                        "sigma_mV": float(sigma),
                        "current": current,
                        "current_unit": definition.current_unit_name,
                        "rate_Hz": oracle_rate(definition, current, sigma),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=COLUMNS[:5])


def oracle_rate(model: NeuronModel, current: np.ndarray, sigma_mV: float) -> np.ndarray:
    """The analytic rate (Hz) of a LIF ``model`` at ``current`` (in its current unit): the LIF
    formula without noise, Siegert's with ``sigma_mV`` (mean drive ``mu = R_m I``)."""
    if sigma_mV == 0:
        return lif_rate(current * model.current_unit, model=model)
    mu = model.params["R_m"] * current * model.current_unit
    return siegert_rate(mu, sigma_mV * mV, model=model)


def accuracy_table(curves: pd.DataFrame, min_rate_Hz: float = 5.0) -> pd.DataFrame:
    """Largest relative error of each LIF curve against its oracle where the oracle > 5 Hz."""
    rows = []
    for (model, sigma), d in curves[curves["model"].isin(["lif", "noisy_lif"])].groupby(
        ["model", "sigma_mV"]
    ):
        oracle = oracle_rate(get_model(model), d["current"].to_numpy(), sigma)
        ok = oracle > min_rate_Hz
        rel = np.abs(d["rate_Hz"].to_numpy()[ok] / oracle[ok] - 1)
        sem = d["rate_sem_Hz"].to_numpy()[ok] / oracle[ok]
        rows.append(
            {
                "model": model,
                "sigma_mV": sigma,
                "oracle": "lif_rate" if sigma == 0 else "siegert_rate",
                "points_above_5Hz": int(ok.sum()),
                "max_rel_error": float(rel.max()) if ok.any() else np.nan,
                "mean_rel_error": float(rel.mean()) if ok.any() else np.nan,
                "max_rel_sem": float(np.nanmax(sem))
                if ok.any() and np.isfinite(sem).any()
                else np.nan,
                "trials": int(d["trials"].iloc[0]),
                "duration_s": float(d["duration_s"].iloc[0]),
                "dt_ms": float(d["dt_ms"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def summary_table(curves: pd.DataFrame) -> pd.DataFrame:
    """Onset and adaptation per curve: first sustained current and rate, top-current rates."""
    rows = []
    for (model, sigma), d in curves.groupby(["model", "sigma_mV"], sort=False):
        d = d.sort_values("current")
        firing = d[d["rate_Hz"] > 0]
        top = d.iloc[-1]
        rows.append(
            {
                "model": model,
                "sigma_mV": sigma,
                "current_unit": top["current_unit"],
                "onset_current": float(firing["current"].iloc[0]) if len(firing) else np.nan,
                "last_silent_current": float(d[d["rate_Hz"] == 0]["current"].max())
                if (d["rate_Hz"] == 0).any()
                else np.nan,
                "onset_rate_Hz": float(firing["rate_Hz"].iloc[0]) if len(firing) else np.nan,
                "top_current": float(top["current"]),
                "top_rate_Hz": float(top["rate_Hz"]),
                "top_first_rate_Hz": float(top["first_rate_Hz"]),
                "adaptation_ratio": float(top["first_rate_Hz"] / top["rate_Hz"])
                if top["rate_Hz"] > 0
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


def run(
    config: Config,
    out: str | Path | RunFolder,
    *,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = True,
    data_dir: str | Path | None = None,
    inputs: dict | None = None,
    figures: bool = True,
) -> RunFolder:
    """Simulate every curve, write the tables and the figure into ``out``; resumes.

    ``data_dir`` and ``inputs`` are accepted for the common protocol and not used. Every
    setting is checked before anything is simulated or written.
    """
    if not isinstance(config, Config):
        raise TypeError(f"config must be a fi_curves.Config; got {type(config).__name__}")
    jobs = _jobs(config)
    folder = out if isinstance(out, RunFolder) else RunFolder(out)
    folder.write_config(config)
    curves = run_jobs(
        simulate_curve,
        jobs,
        run=folder,
        group="curves",
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc="f-I curves",
    )
    curves = curves.drop(columns=["job"], errors="ignore")
    ordered = list(COLUMNS) + [c for c in curves.columns if c not in COLUMNS]
    folder.write_table("fi_curves", curves[ordered])
    folder.write_table("fi_theory", theory_table(config))
    folder.write_table("fi_accuracy", accuracy_table(curves))
    folder.write_table("fi_summary", summary_table(curves))
    if figures:
        draw(folder)
    folder.write_metadata(seed=config.seed, config=asdict(config))
    return folder


def draw(run: RunFolder) -> list[Path]:
    """Redraw the f-I figure from ``fi_curves.csv`` and ``fi_theory.csv``."""
    # matplotlib and seaborn are heavy: imported only when figures are drawn
    from neuroact.figures import save
    from neuroact.figures.bio_fi import plot_fi_curves

    run = run if isinstance(run, RunFolder) else RunFolder(run)
    theory = run.read_table("fi_theory") if run.has("fi_theory.csv") else None
    return save(plot_fi_curves(run.read_table("fi_curves"), theory), run / "fi_curves.png")
