// A small uPlot time-series chart that fills its container's width: created once, fed new
// columns on every update, resized with its container, destroyed on unmount. The x axis always
// spans the last 10 minutes with whole-minute labels; rates step in binary units; hovering shows
// the hovered time's values in a readout above the plot.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { clock, formatRateStep, rateAxis, readout, timeSplits } from "./axes";
import { formatPercent, formatRate } from "./format";
import { type Columns, timeRange } from "./history";

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  /** A CSS colour. */
  color: string;
  fill?: string;
}

/** What a chart's values are: percentages (0..100) or rates in bytes per second. */
export type ChartKind = "percent" | "rate";

/** Chart props. */
export interface ChartProps {
  data: Columns;
  series: ChartSeries[];
  kind: ChartKind;
  height?: number;
  testid?: string;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v.length > 0 ? v : fallback;
}

const pct = (v: number) => `${Math.round(v)}%`;

/** The largest value of the series columns. */
function maxOf(data: Columns): number {
  let m = 0;
  for (const col of data.slice(1)) for (const v of col) if (Number.isFinite(v) && v > m) m = v;
  return m;
}

/** A time-series chart over the last 10 minutes. */
export function Chart({ data, series, kind, height = 72, testid }: ChartProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  const dataRef = useRef(data);
  dataRef.current = data;

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
      cursor: {
        y: false,
        drag: { x: false, y: false },
        points: { show: true, size: 5 },
      },
      hooks: {
        setCursor: [(u) => setHovered(u.cursor.idx ?? null)],
      },
      scales: {
        x: { time: true, range: (_u, _min, max) => timeRange(max, Date.now() / 1000) },
        y: {
          range: (u) => (kind === "percent" ? [0, 100] : rateAxis(maxOf(u.data as Columns)).range),
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
          splits: (u, _i, min, max) => timeSplits(min, max, u.bbox.width / uPlot.pxRatio),
          values: (_u, splits) => splits.map(clock),
        },
        {
          stroke: muted,
          font,
          size: 58,
          gap: 4,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          values: (_u, splits) => splits.map((v) => (kind === "percent" ? pct(v) : formatRateStep(v))),
          splits: (u) => (kind === "percent" ? [0, 50, 100] : rateAxis(maxOf(u.data as Columns)).splits),
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
    const u = new uPlot(opts, dataRef.current as uPlot.AlignedData, el);
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
  }, [series.length, height, kind, series.map((s) => s.color).join()]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  const format = kind === "percent" ? formatPercent : formatRate;
  const r = readout(
    data,
    hovered,
    series.map((s) => s.label),
    format,
  );
  return (
    <div
      class="chart"
      data-testid={testid}
      data-points={data[0].length}
      data-first={data[0][0] ?? ""}
      data-last={data[0][data[0].length - 1] ?? ""}
    >
      <div class="chart-readout" data-testid={testid ? `${testid}-readout` : undefined} hidden={r === null}>
        {r !== null ? (
          <>
            <span class="chart-readout-time">{r.time}</span>
            {r.values.map((v, i) => (
              <span key={v.label} class="chart-readout-value">
                <i style={{ background: series[i]?.color }} />
                {v.label} {v.text}
              </span>
            ))}
          </>
        ) : null}
      </div>
      <div ref={box} />
    </div>
  );
}
