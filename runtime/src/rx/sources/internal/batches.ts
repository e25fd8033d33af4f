/** Building frozen Minibatch objects from per-field buffers. */
import type { Minibatch } from "../types.js";

/** Field names, widths and each field's offset in a flat row of `rowWidth` values. */
export interface Layout {
  readonly names: readonly string[];
  readonly widths: readonly number[];
  readonly offsets: readonly number[];
  readonly rowWidth: number;
  /** The frozen widths record shared by every batch of the stream. */
  readonly widthRecord: Readonly<Record<string, number>>;
}

export function makeLayout(names: readonly string[], widths: readonly number[]): Layout {
  const offsets: number[] = [];
  // Null-prototype records: a column named '__proto__' or 'constructor' is an ordinary field.
  const widthRecord: Record<string, number> = Object.create(null);
  let rowWidth = 0;
  for (let f = 0; f < names.length; f++) {
    offsets.push(rowWidth);
    rowWidth += widths[f]!;
    widthRecord[names[f]!] = widths[f]!;
  }
  return { names, widths, offsets, rowWidth, widthRecord: Object.freeze(widthRecord) };
}

export function makeBatch(layout: Layout, index: number, epoch: number, rows: number, buffers: readonly Float64Array[]): Minibatch {
  const data: Record<string, Float64Array> = Object.create(null);
  for (let f = 0; f < layout.names.length; f++) data[layout.names[f]!] = buffers[f]!;
  return Object.freeze({ index, epoch, rows, data: Object.freeze(data), widths: layout.widthRecord });
}

/**
 * Accumulates flat rows into freshly preallocated per-field buffers of batchSize rows; each full
 * buffer set goes out with its batch and is never written again.
 */
export class BatchBuilder {
  private buffers: Float64Array[];
  private rows = 0;

  constructor(private readonly layout: Layout, private readonly batchSize: number, public index = 0) {
    this.buffers = this.allocate();
  }

  /** Copies one flat row (layout.rowWidth values) in; returns the batch it completed, if any. */
  add(row: Float64Array): Minibatch | null {
    const { widths, offsets } = this.layout;
    for (let f = 0; f < widths.length; f++) {
      const w = widths[f]!, off = offsets[f]!, buf = this.buffers[f]!, base = this.rows * w;
      for (let k = 0; k < w; k++) buf[base + k] = row[off + k]!;
    }
    if (++this.rows < this.batchSize) return null;
    const batch = makeBatch(this.layout, this.index++, 0, this.rows, this.buffers);
    this.buffers = this.allocate();
    this.rows = 0;
    return batch;
  }

  /** The partial last batch, trimmed to its rows, or null if there is none. */
  flush(): Minibatch | null {
    if (this.rows === 0) return null;
    const rows = this.rows;
    const trimmed = this.buffers.map((b, f) => b.slice(0, rows * this.layout.widths[f]!));
    this.rows = 0;
    return makeBatch(this.layout, this.index++, 0, rows, trimmed);
  }

  private allocate(): Float64Array[] {
    return this.layout.widths.map((w) => new Float64Array(this.batchSize * w));
  }
}
