/**
 * Vega-Lite specs rendered to SVG in Node (no browser, no canvas): the
 * report embeds the SVG, so it is one self-contained file.
 */
import * as vega from 'vega';
import { TopLevelSpec, compile } from 'vega-lite';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export const CHART_CONFIG = {
  font: FONT,
  // ARIA attributes per mark double the SVG of a 2,000-mark chart; the figure captions describe the charts.
  aria: false,
  view: { stroke: null },
  axis: { labelColor: '#333', titleColor: '#222', gridColor: '#eee', domainColor: '#888', tickColor: '#888' },
  legend: { labelColor: '#333', titleColor: '#222' },
  range: { category: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] },
};

export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: { ...CHART_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
