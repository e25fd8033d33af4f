export {};
export * from "./timeseries/lgssm-model.js";
export * from "./timeseries/vb-lgssm.js";
