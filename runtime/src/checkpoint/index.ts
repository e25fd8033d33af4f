/** Checkpoints: versioned, checksummed msgpack of a complete inference state. */
export { encodeCheckpoint, decodeCheckpoint, type CheckpointState, type EngineState, type CheckpointLimits } from "./checkpoint.js";
export { modelToData, modelFromData, readModelData, type ModelData, type PlateData, type VariableData, type FactorData } from "./model-codec.js";
export { caviCheckpoint, resumeCavi, type CaviEngineState } from "./cavi.js";
export { MAGIC, FORMAT_VERSION, HEADER_BYTES } from "./frame.js";
export { crc32 } from "./crc32.js";
