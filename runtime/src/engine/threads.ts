import type { SelectorJob } from "./row-pass.js";
/** Placeholder until the pool lands. */
export interface ThreadPool {
  readonly size: number;
  allocate(length: number): Float64Array;
  run(job: SelectorJob, chunks: number): void;
  close(): void;
}
