"""scikit-learn's LatentDirichletAllocation as the bench's LDA peer (run by bench/src/peers/python.ts).

Reads one JSON workload on stdin and prints one JSON result on stdout:
  mode "online": partial_fit on the given minibatches, in the given order, epoch after epoch
    (Hoffman, Blei & Bach 2010: rho_t = (tau + t)^-kappa with t = 1, 2, ...); the held-out
    perplexity is measured every `evalEvery` minibatches, outside the timed part.
  mode "batch": fit with learning_method="batch" and max_iter = passes (timed), then the
    held-out perplexity.
Held-out perplexity (Hoffman et al. 2013, section 4), the same definition as Vireo's bench:
topic proportions fitted on each held-out document's observed half with the topics fixed
(transform), perplexity = exp(-sum c log sum_k theta_dk beta_kw / sum c) over its other half,
with beta the topic means lambda / sum lambda.
"""
import json
import sys
import time

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.decomposition import LatentDirichletAllocation


def matrix(c, V):
    return sp.csr_matrix((np.asarray(c["count"], dtype=np.float64), (np.asarray(c["doc"], dtype=np.int64), np.asarray(c["word"], dtype=np.int64))), shape=(c["docs"], V))


def perplexity(lda, observed, held_out):
    theta = lda.transform(observed)
    beta = lda.components_ / lda.components_.sum(axis=1)[:, np.newaxis]
    h = held_out.tocoo()
    p = np.einsum("nk,kn->n", theta[h.row], beta[:, h.col])
    return float(np.exp(-np.sum(h.data * np.log(p)) / np.sum(h.data)))


def main():
    w = json.load(sys.stdin)
    K, V = w["K"], w["V"]
    observed, held_out = matrix(w["observed"], V), matrix(w["heldOut"], V)
    common = dict(n_components=K, doc_topic_prior=w["alpha"], topic_word_prior=w["eta"], random_state=w.get("seed", 0),
                  max_doc_update_iter=w.get("maxDocIterations", 100), mean_change_tol=w.get("meanChangeTolerance", 1e-3))
    out = {"peer": f"scikit-learn {sklearn.__version__} LatentDirichletAllocation({w['mode']})"}
    if w["mode"] == "online":
        batches = [matrix(b, V) for b in w["batches"]]
        total = int(w["size"])
        lda = LatentDirichletAllocation(learning_method="online", learning_offset=w["tau"], learning_decay=w["kappa"],
                                        batch_size=max(b.shape[0] for b in batches), total_samples=total, **common)
        seconds, trace, epoch_seconds = 0.0, [], []
        steps = 0
        for _ in range(w["epochs"]):
            epoch = 0.0
            for b in batches:
                t0 = time.perf_counter()
                lda.partial_fit(b)
                dt = time.perf_counter() - t0
                seconds += dt
                epoch += dt
                steps += 1
                if steps % w["evalEvery"] == 0:
                    trace.append({"step": steps, "seconds": seconds, "perplexity": perplexity(lda, observed, held_out)})
            epoch_seconds.append(epoch)
        out.update(seconds=seconds, epochSeconds=epoch_seconds, trace=trace)
    else:
        lda = LatentDirichletAllocation(learning_method="batch", max_iter=w["passes"], **common)
        X = matrix(w["train"], V)
        t0 = time.perf_counter()
        lda.fit(X)
        seconds = time.perf_counter() - t0
        out.update(seconds=seconds, passes=w["passes"], perplexity=perplexity(lda, observed, held_out))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
