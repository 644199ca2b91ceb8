/** Plots, image grids, live plots, progress bars, notebook display, and the metric curves and results tables. */
export { displayBundle, inNotebook, showMarkdown, showHtml, type MimeBundle } from "./display";
export { plot, plotlyBundle, plotlyHtml, type Figure, type PlotOptions } from "./plot";
export { imageGridPng, labelledGridHtml, showImages, type GridOptions, type GridLabels, type ImageBatch } from "./images";
export { livePlot, type LivePlot } from "./live";
export { progress, progressLine, formatDuration, type Progress, type ProgressOptions, type ProgressState } from "./progress";
export { heatmapGrid, type HeatmapPanel, type HeatmapGridOptions } from "./heatmap-grid";
export { lineChartSvg, type SvgSeries, type SvgChartOptions } from "./svg-chart";
export {
  metricCurves,
  tradeoffCurve,
  resultsMarkdown,
  resultsHtml,
  METRIC_LABELS,
  X_AXES,
  type MetricName,
  type MetricPoint,
  type MetricSeries,
  type CurveOptions,
  type ResultRow,
  type TableOptions,
} from "./curves";
