// A small uPlot time-series chart that fills its container's width: created once, fed new
// columns on every update, resized with its container, destroyed on unmount.
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { type Columns, timeRange } from "./history";

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  /** A CSS colour. */
  color: string;
  fill?: string;
}

/** Chart props. */
export interface ChartProps {
  data: Columns;
  series: ChartSeries[];
  /** A fixed y range (e.g. 0..100 for percentages); otherwise 0..max. */
  yRange?: [number, number];
  /** Formats y axis values. */
  format: (v: number) => string;
  height?: number;
  testid?: string;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v.length > 0 ? v : fallback;
}

function clock(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** A time-series chart over the last minutes. */
export function Chart({ data, series, yRange, format, height = 72, testid }: ChartProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const fmt = useRef(format);
  fmt.current = format;

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const muted = cssVar("--text-muted", "#888");
    const grid = cssVar("--chart-grid", "rgba(128,128,128,0.15)");
    const font = `10px ${cssVar("--font-ui", "sans-serif")}`;
    const opts: uPlot.Options = {
      width: Math.max(100, el.clientWidth),
      height,
      padding: [8, 6, 0, 0],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: true, range: (_u, min, max) => timeRange(min, max, Date.now() / 1000) },
        y: {
          range: (_u, _min, max) => (yRange ? yRange : [0, max > 0 ? max * 1.15 : 1]),
        },
      },
      axes: [
        {
          stroke: muted,
          font,
          size: 18,
          gap: 2,
          grid: { show: false },
          ticks: { show: false },
          values: (_u, splits) => splits.map(clock),
        },
        {
          stroke: muted,
          font,
          size: 52,
          gap: 4,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          values: (_u, splits) => splits.map((v) => fmt.current(v)),
          splits: yRange ? () => [yRange[0], (yRange[0] + yRange[1]) / 2, yRange[1]] : undefined,
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          fill: s.fill,
          points: { show: false },
        })),
      ],
    };
    const u = new uPlot(opts, data as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && w !== u.width) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its shape changes; data updates go through setData below.
  }, [series.length, height, yRange?.[0], yRange?.[1], series.map((s) => s.color).join()]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return <div class="chart" ref={box} data-testid={testid} />;
}
