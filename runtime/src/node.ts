/**
 * @vireo/runtime/node: the Node-only pieces of the runtime (they import node:fs, node:path,
 * node:url). The main entry `@vireo/runtime` imports no Node built-in, so it bundles for the browser.
 */

// Minibatch sources streamed from files (fs.createReadStream).
export { fromCsvFile } from "./rx/sources/node/fromCsvFile.js";
export { fromNdjsonFile } from "./rx/sources/node/fromNdjsonFile.js";

// Checkpoint files written atomically (temp file + fsync + rename).
export { saveCheckpoint, loadCheckpoint } from "./checkpoint/node/file.js";
