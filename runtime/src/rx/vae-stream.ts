/**
 * A VAE under `svi()`: each minibatch of the stream is one optimiser step of the VAE's bound, and
 * each step emits a snapshot like SVI's (its `elbo` is N × the batch's bound per row, N the VAE's
 * `totalRows`; `rho` is the optimiser's learning rate). The Vae object is the hot state: every
 * subscription steps the same networks.
 */
import type { OperatorFunction } from "rxjs";
import type { Vae } from "../deep/vae.js";
import { streamOperator, type BatchInput, type StreamOptions } from "./stream-step.js";
import type { SviSnapshot } from "./svi.js";

export function vaeStream(model: Vae, options: StreamOptions): OperatorFunction<BatchInput, SviSnapshot> {
  return streamOperator(
    () => model,
    (m, data, batch, skippedBatches) => {
      const r = m.step(data);
      return { step: r.step, batch, skippedBatches, elbo: r.total, rho: m.learningRate, rows: r.rows, localSweeps: 0, psis: null, posteriors: {} };
    },
    options,
  );
}
