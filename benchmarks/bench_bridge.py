"""Speed of the bridge's engines against the ANN they convert, in one process.

    python benchmarks/bench_bridge.py --run RUN/bridge --data-dir ../shared/data \
        [--images 2000] [--brian2-images 500] [--threads 1] [--json out.json]

``RUN/bridge`` is a (full-profile) run folder of the ``bridge`` experiment: its trained networks
(``models/``) and its frontier (``frontier.csv``, for the in-band setting) are reused.

Measures, all on the same test images, in batches of 500 (the experiment's batch size):

1. dense ANN passes: the median time of one forward pass of the ANN over the images, timed
   before and after every simulation below (the load of a shared machine drifts);
2. the fast engine at the densest setting (the first ReLU network, IF at 1000 Hz, v_init 0.5)
   for 25 steps: its time over 25 dense passes (target <= 2);
3. cost against spikes: the sparsest ReLU network at each rate scale for 100 steps, seconds per
   step over one dense pass, with the spikes per image per step;
4. Lennie's band: the experiment's fastest in-band setting, simulated for its time, over as many
   dense passes as steps (target >= 5x cheaper), and the same run forced dense (no event-driven
   input) to show what the sparse input saves;
5. Brian2: :func:`neuroact.bridge.study.compare_engines` on the first ``--brian2-images``
   images at the densest setting for 25 ms: agreement and images per second of both engines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import pandas as pd
import torch

from neuroact.ann.train import load_data
from neuroact.bridge import engine
from neuroact.bridge.convert import convert
from neuroact.bridge.study import compare_engines
from neuroact.experiments.bridge import load_network

BATCH = 500


def ann_pass_seconds(model, x: torch.Tensor, repeats: int = 3) -> float:
    """Median seconds of one forward pass of ``model`` over ``x`` (batches of 500)."""
    times = []
    with torch.no_grad():
        for _ in range(repeats):
            t0 = time.perf_counter()
            for s in range(0, x.shape[0], BATCH):
                model(x[s : s + BATCH])
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def timed_simulation(net, model, x, duration: float) -> dict:
    """Simulate; time it against dense passes measured just before and after."""
    before = ann_pass_seconds(model, x)
    t0 = time.perf_counter()
    result = engine.simulate(net, x, duration, checkpoints_ms=[duration * 1e3], batch_size=BATCH)
    seconds = time.perf_counter() - t0
    dense = (before + ann_pass_seconds(model, x)) / 2
    steps = result.n_steps
    spikes = float(result.spikes[-1].sum(axis=0).mean())
    return {
        "steps": steps,
        "sim_seconds": seconds,
        "ann_pass_seconds": dense,
        "cost_over_dense_passes": seconds / (steps * dense),
        "spikes_per_image_per_step": spikes / steps,
        "accuracy": None,
        "_result": result,
    }


def band_setting(run: str, band: str | None) -> dict | None:
    """The IF setting to time in Lennie's band: ``--band`` or the run's fastest in-band point
    (with a complete 50 ms window; ties: the sparser) of any ReLU network on IF neurons."""
    if band is not None:
        network, rate, v_init, time_ms = band.split(",")
        return {
            "network": network,
            "max_rate_Hz": float(rate),
            "v_init": float(v_init),
            "time_ms": float(time_ms),
        }
    table = pd.read_csv(os.path.join(run, "frontier.csv"))
    pick = table[(table["kind"] == "fastest_in_band_full_window") & table["found"]]
    pick = pick[(pick["group_network"] != "all ReLU networks") & (pick["neuron"] == "if")]
    # ties in time: the sparser point, as in neuroact.bridge.frontier.fastest_in_band
    pick = pick.sort_values(["time_ms", "frac_active_50ms"], kind="stable")
    return None if pick.empty else pick.iloc[0].to_dict()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="a bridge run folder (models/, frontier.csv)")
    parser.add_argument("--data-dir", default=os.environ.get("NEUROACT_DATA_DIR"))
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--brian2-images", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--band",
        default=None,
        help="in-band setting NETWORK,MAX_RATE_HZ,V_INIT,TIME_MS (default: from frontier.csv)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    models = os.path.join(args.run, "models")
    config = json.load(open(os.path.join(args.run, "config.json")))
    data = load_data(config["train"]["dataset"], args.data_dir)
    x, y = data.test_x[: args.images], data.test_y[: args.images].numpy()
    calib = (data.train_x[: config["calibration_size"]], data.train_y[: config["calibration_size"]])
    l1s = config["l1s"]
    dense_model = load_network(os.path.join(models, f"relu_l1={l1s[0]:g}.pt"))
    sparse_key = f"relu_l1={max(l1s):g}"
    sparse_model = load_network(os.path.join(models, f"{sparse_key}.pt"))
    out: dict = {"images": args.images, "threads": args.threads, "load_average": os.getloadavg()}

    def twin(model, **kw):
        return convert(model, calib[0], labels=calib[1], percentile=config["percentile"], **kw)

    net = twin(dense_model, v_init=0.5)
    r = timed_simulation(net, dense_model, x, 0.025)
    r["accuracy"] = float((r.pop("_result").predictions[-1] == y).mean())
    out["densest"] = r

    out["cost_vs_spikes"] = []
    for rate in (1000.0, 100.0, 30.0, 10.0):
        net = twin(sparse_model, max_rate=rate, v_init=0.5)
        r = timed_simulation(net, sparse_model, x, 0.1)
        r.pop("_result")
        out["cost_vs_spikes"].append({"network": sparse_key, "max_rate_Hz": rate, **r})

    row = band_setting(args.run, args.band)
    if row is not None:
        model = load_network(os.path.join(models, f"{row['network']}.pt"))
        net = twin(model, max_rate=float(row["max_rate_Hz"]), v_init=float(row["v_init"]))
        duration = float(row["time_ms"]) * 1e-3
        r = timed_simulation(net, model, x, duration)
        res = r.pop("_result")
        r["accuracy"] = float((res.predictions[-1] == y).mean())
        out["lennie_band"] = {
            "network": row["network"],
            "max_rate_Hz": row["max_rate_Hz"],
            "v_init": row["v_init"],
            "time_ms": row["time_ms"],
            **r,
        }
        saved = engine.EVENT_DRIVEN_MAX_DENSITY
        engine.EVENT_DRIVEN_MAX_DENSITY = -1.0  # every step dense: what event-driven input saves
        try:
            r = timed_simulation(net, model, x, duration)
            r.pop("_result")
            out["lennie_band_forced_dense"] = r
        finally:
            engine.EVENT_DRIVEN_MAX_DENSITY = saved

    net = twin(dense_model, v_init=0.5)
    n = args.brian2_images
    out["brian2"] = compare_engines(net, data.test_x[:n], data.test_y[:n].numpy(), 0.025)
    text = json.dumps(out, indent=2, default=float)
    print(text)
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(text + "\n")
    return out


if __name__ == "__main__":
    main()
