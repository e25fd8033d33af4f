"""scikit-learn's BayesianGaussianMixture as the bench's Gaussian-mixture peer (run by peers/python.ts).

Reads one JSON workload on stdin and prints one JSON result on stdout. The data are float64 rows
(N x d) in the binary file `xFile`, the same rows Vireo fits. Priors as Vireo's model: a Dirichlet
(not a Dirichlet process) on the weights with concentration alpha, mean_prior 0 with
mean_precision_prior beta, degrees_of_freedom_prior df, covariance_prior scale * I, full covariances.
  mode "sweeps": for each K, the time of one EM iteration (E-step, M-step, lower bound): after an
    untimed initialisation, warm-started fits of 1 + sweeps and of 1 iterations, their difference
    divided by sweeps (the final E-step each fit adds cancels); `repeats` times, the median kept.
  mode "converge": fit from sklearn's default start (k-means, n_init = 1) until the lower bound
    changes by less than `tol` (absolute, as sklearn's rule); wall time of the whole fit.
"""
import json
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

warnings.filterwarnings("ignore", category=ConvergenceWarning)


def model(w, K, max_iter, tol, seed):
    d = w["d"]
    return BayesianGaussianMixture(
        n_components=K, covariance_type="full", weight_concentration_prior_type="dirichlet_distribution",
        weight_concentration_prior=w["alpha"], mean_precision_prior=w["beta"], mean_prior=np.zeros(d),
        degrees_of_freedom_prior=w["df"], covariance_prior=w["scale"] * np.eye(d),
        max_iter=max_iter, tol=tol, n_init=1, init_params="kmeans", random_state=seed)


def timed_fit(m, x):
    t = time.perf_counter()
    m.fit(x)
    return time.perf_counter() - t


def cpu_fit(m, x):
    """Wall and CPU seconds of one fit (CPU time is less moved by other work on a shared machine)."""
    t, c = time.perf_counter(), time.process_time()
    m.fit(x)
    return time.perf_counter() - t, time.process_time() - c


def main():
    w = json.load(sys.stdin)
    x = np.fromfile(w["xFile"], dtype=np.float64).reshape(-1, w["d"])
    out = {"version": sklearn.__version__, "N": int(x.shape[0])}
    if w["mode"] == "sweeps":
        per, cpu = {}, {}
        for K in w["Ks"]:
            figures, cpus = [], []
            for r in range(w["repeats"]):
                # Initialise (k-means) and take the first iteration, untimed; then warm-started fits
                # run iterations only (each fit adds one final E-step: timing 1 and 1 + sweeps
                # iterations and taking the difference leaves the iterations alone).
                m = model(w, K, 1, 0.0, r)
                m.set_params(warm_start=True)
                m.fit(x)
                m.set_params(max_iter=1)
                one, one_cpu = cpu_fit(m, x)
                m.set_params(max_iter=1 + w["sweeps"])
                many, many_cpu = cpu_fit(m, x)
                figures.append(1000.0 * (many - one) / w["sweeps"])
                cpus.append(1000.0 * (many_cpu - one_cpu) / w["sweeps"])
            per[str(K)] = float(np.median(figures))
            cpu[str(K)] = float(np.median(cpus))
        out["msPerSweep"] = per
        out["cpuMsPerSweep"] = cpu
    else:
        m = model(w, w["K"], w["maxIterations"], w["tol"], w.get("seed", 0))
        seconds = timed_fit(m, x)
        out.update(seconds=seconds, iterations=int(m.n_iter_), converged=bool(m.converged_), lowerBound=float(m.lower_bound_))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
