/**
 * Terminal progress bars for the examples (cli-progress): sweeps or steps done, the current ELBO
 * and the rate. Drawn only on a terminal; in logs and CI nothing is printed.
 */
import { SingleBar, Presets } from "cli-progress";
import { lastValueFrom, tap, filter, map, type Observable } from "rxjs";
import type { CaviProgress, CaviResult } from "@vireo/runtime";

export interface Bar {
  update(done: number, elbo: number, elapsedMs: number): void;
  /** Ends the bar at `done` units (a fit that converged early did fewer than the limit). */
  finish(done: number, elbo: number, elapsedMs: number): void;
  stop(): void;
}

/** A bar over `total` units (e.g. "sweeps"), labelled, with ELBO and units per second. */
export function progressBar(label: string, total: number, unit: string): Bar {
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | ELBO {elbo} | {rate} ${unit}/s`,
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50,
  }, Presets.shades_classic);
  bar.start(total, 0, { elbo: "–", rate: "–" });
  return {
    update(done, elbo, elapsedMs) {
      bar.update(done, { elbo: elbo.toFixed(3), rate: elapsedMs > 0 ? ((1000 * done) / elapsedMs).toFixed(0) : "–" });
    },
    finish(done, elbo, elapsedMs) {
      bar.setTotal(done);
      this.update(done, elbo, elapsedMs);
    },
    stop() {
      bar.stop();
    },
  };
}

/** Shows a CAVI fit's progress (all restarts on one bar) and resolves to its result. */
export function caviWithBar(label: string, progress$: Observable<CaviProgress>, restarts: number, maxIterations: number): Promise<CaviResult> {
  const bar = progressBar(label, restarts * maxIterations, "sweeps");
  let swept = 0;
  return lastValueFrom(progress$.pipe(
    tap({
      next: (e) => {
        if (e.kind === "sweep") bar.update((swept = e.done), e.elbo, e.elapsedMs);
        else bar.finish(swept, e.result.elbo.at(-1)!, e.elapsedMs);
      },
      finalize: () => bar.stop(),
    }),
    filter((e) => e.kind === "done"),
    map((e) => (e as Extract<CaviProgress, { kind: "done" }>).result),
  ));
}
