// A time-series line chart (uPlot). Loaded on demand by the session detail. The x axis is in the
// viewer's local zone (uPlot's default).

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from './playback';

export interface LineChart {
  update(series: Series): void;
  destroy(): void;
}

// Local 24-hour clock, like the rest of the dashboard.
function clockLabel(seconds: number): string {
  const date = new Date(seconds * 1000);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}${date.getSeconds() ? `:${pad(date.getSeconds())}` : ''}`;
}

export function lineChart(
  container: HTMLElement, label: string, color: string, formatValue: (value: number) => string, stepped = false,
): LineChart {
  if (!document.createElement('canvas').getContext('2d')) throw new Error('this browser cannot draw on a canvas');
  const width = () => Math.max(240, container.clientWidth || 600);
  const options: uPlot.Options = {
    width: width(),
    height: 180,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      { stroke: '#5b6472', grid: { stroke: '#e5e8ee' }, values: (_u, ticks) => ticks.map(clockLabel) },
      { stroke: '#5b6472', grid: { stroke: '#e5e8ee' }, size: 92, values: (_u, ticks) => ticks.map(formatValue) },
    ],
    series: [
      {},
      {
        label,
        stroke: color,
        width: 2,
        points: { show: true, size: 4 },
        paths: stepped ? uPlot.paths.stepped?.({ align: 1 }) : undefined,
      },
    ],
  };
  const plot = new uPlot(options, [[], []], container);
  const observer = typeof ResizeObserver === 'undefined'
    ? null
    : new ResizeObserver(() => plot.setSize({ width: width(), height: 180 }));
  observer?.observe(container);
  return {
    update(series) {
      plot.setData([series.times, series.values]);
      // A single sample gives an empty x range: show the minute around it.
      if (series.times.length === 1) plot.setScale('x', { min: series.times[0] - 30, max: series.times[0] + 30 });
    },
    destroy() {
      observer?.disconnect();
      plot.destroy();
    },
  };
}
