"""Spike trains out to Neo, and Elephant's statistics equal to neuroact's on them."""

from __future__ import annotations

import elephant.statistics as elephant_statistics
import neo
import numpy as np
import pytest
import quantities as pq
from brian2 import Hz, ms, nA, second
from numpy.testing import assert_allclose

from neuroact.bio.activity import PopulationActivity, poisson_activity
from neuroact.bio.fi import fi_curve, fi_spike_trains


@pytest.fixture(scope="module")
def population() -> PopulationActivity:
    """40 Poisson neurons, 0.05-20 Hz over 10 s: a few with 0-2 spikes, most with many."""
    rates = np.geomspace(0.05, 20.0, 40) * Hz
    return poisson_activity(40, rates, 10 * second, seed=7)


def test_to_neo_gives_one_train_per_neuron_with_units_and_bounds(population):
    trains = population.to_neo(annotations={"population": ["E"] * 32 + ["I"] * 8})
    assert len(trains) == population.n_neurons
    counts = population.spike_counts_total()
    assert [len(st) for st in trains] == counts.tolist()
    assert counts.min() == 0  # a silent neuron still has its (empty) train
    for k, st in enumerate(trains):
        assert isinstance(st, neo.SpikeTrain)
        assert st.units == pq.s and st.t_start == 0 * pq.s and st.t_stop == 10 * pq.s
        assert st.annotations["neuron"] == k and st.name == f"neuron {k}"
        own = np.sort(population.times_s[population.indices == k])
        assert_allclose(st.magnitude, own, rtol=0, atol=0)
    assert trains[35].annotations["population"] == "I"
    with pytest.raises(ValueError, match=r"annotations\['population'\] must have one value per"):
        population.to_neo(annotations={"population": ["E"] * 3})


def test_elephant_cv_and_cv2_equal_neuroacts(population):
    trains = population.to_neo()
    cv, cv2 = population.cv_isi(), population.cv2_isi()
    checked = 0
    for k, st in enumerate(trains):
        if len(st) < 3:  # neuroact: nan; Elephant: cv of one ISI is 0, cv2 needs two
            assert np.isnan(cv[k]) and np.isnan(cv2[k])
            continue
        isi = elephant_statistics.isi(st).rescale("s").magnitude
        assert_allclose(elephant_statistics.cv(isi), cv[k], rtol=1e-12)
        assert_allclose(elephant_statistics.cv2(isi), cv2[k], rtol=1e-12)
        checked += 1
    assert checked >= 25
    # Poisson trains: CV and CV2 near 1 (the fast neurons have hundreds of intervals)
    assert abs(np.nanmean(cv[-10:]) - 1) < 0.1 and abs(np.nanmean(cv2[-10:]) - 1) < 0.1


@pytest.mark.parametrize("bin_ms", [5.0, 50.0, 300.0])
def test_elephant_fanofactor_equals_the_population_fano_factor(population, bin_ms):
    """The population count per bin is the count of the pooled train cut at the bin edges."""
    pooled = np.sort(population.times_s)
    w = bin_ms / 1e3
    n_bins = int(np.floor(population.duration_s / w + 1e-9))  # whole bins, as neuroact
    edges = np.arange(n_bins + 1) * w
    # half-open [k w, (k+1) w), as neuroact bins (neo's time_slice includes both ends)
    cut = np.split(pooled, np.searchsorted(pooled, edges))[1:-1]
    per_bin = [
        neo.SpikeTrain(times, units="s", t_start=edges[k], t_stop=edges[k + 1])
        for k, times in enumerate(cut)
    ]
    assert sum(len(st) for st in per_bin) == np.sum(pooled < edges[-1])
    assert_allclose(
        elephant_statistics.fanofactor(per_bin), population.population_fano(bin_ms * ms),
        rtol=1e-12,
    )  # fmt: skip


def test_fi_run_spike_trains_match_fi_curve():
    currents = np.array([0.5, 2.0, 3.0]) * nA
    trains = fi_spike_trains("lif", currents, duration=200 * ms, trials=2)
    assert len(trains) == 6
    assert [(st.annotations["current"], st.annotations["trial"]) for st in trains] == [
        (0.5, 0), (0.5, 1), (2.0, 0), (2.0, 1), (3.0, 0), (3.0, 1),
    ]  # fmt: skip
    assert {st.annotations["model"] for st in trains} == {"lif"}
    assert {st.annotations["current_unit"] for st in trains} == {"nA"}
    assert all(st.t_stop == 0.2 * pq.s and st.units == pq.s for st in trains)
    # the same run as fi_curve: its spike counts (no transient) and its first-interval rate
    curve = fi_curve("lif", currents, duration=200 * ms, transient=0 * ms, trials=2)
    assert curve.n_spikes.tolist() == [len(trains[2 * k]) * 2 for k in range(3)]
    first = [1 / np.diff(trains[2 * k].magnitude[:2])[0] if len(trains[2 * k]) > 1 else 0.0
             for k in range(3)]  # fmt: skip
    assert_allclose(first, curve.first_rate)
    rate = elephant_statistics.mean_firing_rate(trains[4]).rescale("Hz").magnitude
    assert_allclose(rate, len(trains[4]) / 0.2)
