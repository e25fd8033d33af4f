/**
 * @vireo/plot: pictures of fits. Each chart function returns a Vega-Lite spec (plain data, easy to
 * adjust); `toSvg` renders it headless, `svgToPng` rasterises it, `writeChart` writes both files.
 * Node-only (resvg is a native module); kept out of core, nodes and runtime.
 */
export { toSvg, svgToPng, writeChart, THEME, FONT, type WrittenChart, type TopLevelSpec } from "./render.js";
export { elboTrace, type ElboSeries, type ElboTraceOptions } from "./charts/elbo-trace.js";
export { posteriorDensities, type DensityCurve, type DensityOptions } from "./charts/posterior-density.js";
export { clusterEllipses, ellipsePoints, type EllipseCluster, type ClusterOptions } from "./charts/cluster-ellipses.js";
export { topicWords, type TopicWordsOptions } from "./charts/topic-words.js";
export { tracks, type TrackSeries, type TrackOptions } from "./charts/track.js";
export { imageGrid, type ImageGridOptions } from "./charts/image-grid.js";
export { calibration, type CalibrationSeries, type CalibrationOptions } from "./charts/calibration.js";
export { imageGridPng, type ImageGridPngOptions } from "./image-grid.js";
export { samplesOverDensity, type DensityGrid, type SamplePanel, type Samples2dOptions } from "./charts/samples-2d.js";
