export { renderReport, type LayerRow, type ReportData, type StageRow } from './html';
export { toSvg } from './render';
export { networkGraph, sparsityGrid, type GraphLayer, type StagePoint, type WeightSet } from './charts';
