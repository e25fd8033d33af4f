/**
 * Documented size limits, enforced where a value enters (model building, data binding, checkpoint
 * files) with an error naming the plate, variable or file. They are far above what fits in memory
 * on one machine for most models; they exist so that an absurd size is a clear error rather than an
 * allocation failure, a silent overflow of a 32-bit index, or a checkpoint that saves but cannot load.
 */

/** Rows of one plate (a fixed size, or the rows of bound data): 32-bit indices address every row. */
export const MAX_PLATE_SIZE = 2 ** 31 - 1;

/**
 * The dimension of a dimensioned family ("MvNormal(d)", "Categorical(K)", "Dirichlet(K)"): at most
 * 7 digits, which is what a checkpoint's family key carries, so every model that builds also saves
 * and loads back.
 */
export const MAX_DIMENSION = 9_999_999;

/** Largest checkpoint read or written, in bytes (1 GiB; `limits.maxBytes` lowers it when decoding). */
export const MAX_CHECKPOINT_BYTES = 2 ** 30;
