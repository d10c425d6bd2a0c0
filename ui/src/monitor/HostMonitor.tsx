// One monitored host: subscribes when shown (the chart fills at once from the returned
// history, kept by the agent across restarts, then new samples are appended) and unsubscribes
// when hidden. Shows CPU (of the whole machine, and per numbered core), memory, swap, disks,
// network rates, load over 1/5/15 minutes, uptime and the busiest processes (PID, whole name,
// share of the machine), with amber and red levels; a failed sample keeps the charts and marks
// them stale.
import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import * as api from "../api/tauri";
import { toApiError } from "../api/errors";
import type { ApiError, MonitorEvent, MonitorTarget, Sample } from "../api/types";
import { ErrorBox } from "../dialogs/ErrorBox";
import { settings } from "../state/store";
import { isLight } from "../state/settings";
import { Chart, type ChartSeries } from "./Chart";
import { formatBytes, formatPercent, formatRate, formatUptime, labelledLoad, machinePercent } from "./format";
import { appendSample, fromHistory, hasFigures, toColumns } from "./history";
import { levelOf, percentOf } from "./thresholds";
import { bounded, clipped } from "./bounded";
import {
  MONITOR_MAX_CORES,
  MONITOR_MAX_DISKS,
  MONITOR_MAX_TEXT_BYTES,
  MONITOR_MAX_TOP,
} from "../api/generated/limits";

/** The sampling interval asked for. */
export const MONITOR_INTERVAL_MS = 2000;

function Bar({ percent, label, detail, testid }: { percent: number; label: string; detail: string; testid?: string }): JSX.Element {
  const level = levelOf(percent);
  return (
    <div class="bar-row" data-testid={testid} data-level={level}>
      <div class="bar-label">
        <span>{label}</span>
        <span class="muted">{detail}</span>
      </div>
      <div class="bar">
        <div class={`bar-fill level-${level}`} style={{ width: `${Math.max(0, Math.min(100, percent))}%` }} />
      </div>
    </div>
  );
}

function colours() {
  return isLight(settings.value.theme)
    ? { cpu: "#2f6db5", mem: "#8e44ad", rx: "#1b7f8c", tx: "#b58105" }
    : { cpu: "#61afef", mem: "#c678dd", rx: "#56b6c2", tx: "#e5c07b" };
}

/** The panel section of one host or target. */
export function HostMonitor({ host, target, label }: { host: string; target: MonitorTarget; label: string }): JSX.Element {
  const [samples, setSamples] = useState<Sample[]>([]);
  const [latest, setLatest] = useState<Sample | null>(null);
  const [stale, setStale] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const targetKey = target === "agent" ? "agent" : target.session_id;

  useEffect(() => {
    let alive = true;
    let subscription: string | null = null;
    const onEvent = (e: MonitorEvent) => {
      if (!alive) return;
      if (e.type === "sample") {
        if (hasFigures(e.sample)) {
          setStale(null);
          setLatest(e.sample);
          setSamples((prev) => appendSample(prev, e.sample));
        } else {
          setStale(e.sample.error ?? "no figures");
        }
      } else if (e.type === "error") {
        setStale(e.message);
      } else {
        setStale("monitoring of this target has ended");
      }
    };
    setSamples([]);
    setLatest(null);
    setStale(null);
    setFailure(null);
    const { promise, muteEarly } = api.monitorSubscribe(host, target, MONITOR_INTERVAL_MS, onEvent);
    promise.then(
      (sub) => {
        if (!alive) {
          sub.mute();
          api.monitorUnsubscribe(sub.subscription_id).catch(() => {});
          return;
        }
        subscription = sub.subscription_id;
        setSamples((prev) => fromHistory([...sub.history, ...prev]));
        setLatest((prev) => {
          if (prev !== null) return prev;
          const withFigures = sub.history.filter(hasFigures);
          return withFigures[withFigures.length - 1] ?? null;
        });
        const last = sub.history[sub.history.length - 1];
        if (last !== undefined && !hasFigures(last)) setStale(last.error ?? "no figures");
      },
      (e: unknown) => {
        if (alive) setFailure(toApiError(e));
      },
    );
    return () => {
      alive = false;
      muteEarly();
      if (subscription !== null) api.monitorUnsubscribe(subscription).catch(() => {});
    };
    // The target object is recreated on every render; its key identifies it.
  }, [host, targetKey]);

  const c = colours();
  const cpuSeries = useMemo<ChartSeries[]>(() => [{ label: "CPU", color: c.cpu, fill: `${c.cpu}22` }], [c.cpu]);
  const memSeries = useMemo<ChartSeries[]>(() => [{ label: "Memory", color: c.mem, fill: `${c.mem}22` }], [c.mem]);
  const netSeries = useMemo<ChartSeries[]>(
    () => [
      { label: "Received", color: c.rx },
      { label: "Sent", color: c.tx },
    ],
    [c.rx, c.tx],
  );
  const cpuData = useMemo(() => toColumns(samples, [(s) => s.cpu.percent]), [samples]);
  const memData = useMemo(() => toColumns(samples, [(s) => percentOf(s.memory.used_bytes, s.memory.total_bytes)]), [samples]);
  const netData = useMemo(() => toColumns(samples, [(s) => s.net.rx_bytes_per_s, (s) => s.net.tx_bytes_per_s]), [samples]);

  const s = latest;
  const cores = bounded(s?.cpu.per_core ?? [], MONITOR_MAX_CORES);
  const disks = bounded(s?.disks ?? [], MONITOR_MAX_DISKS);
  const memPct = s ? percentOf(s.memory.used_bytes, s.memory.total_bytes) : 0;
  const swapPct = s ? percentOf(s.memory.swap_used_bytes, s.memory.swap_total_bytes) : 0;
  const ncores = s?.cpu.per_core.length ?? 0;

  return (
    <section class={`monitor-host ${stale ? "stale" : ""}`} data-testid="monitor-host" data-target={targetKey} data-host={host}>
      <header class="monitor-head">
        <div>
          <div class="monitor-hostname" data-testid="monitor-hostname">
            {clipped(s?.hostname || label, MONITOR_MAX_TEXT_BYTES)}
          </div>
          <div class="muted small">
            {target === "agent" ? "agent host" : "ssh target"} · {label}
            {s ? ` · ${s.os} ${s.kernel}` : ""}
          </div>
        </div>
        {stale ? (
          <span class="stale-badge" data-testid="monitor-stale" title={stale}>
            stale
          </span>
        ) : null}
      </header>
      {failure ? <ErrorBox compact error={failure} context="Starting monitoring" /> : null}
      {stale ? <div class="stale-line small">Last sample failed: {stale}</div> : null}
      {s === null && failure === null ? <div class="muted small pad">Waiting for the first sample…</div> : null}
      {s !== null ? (
        <>
          <div class="figure-row">
            <span
              class={`figure level-${levelOf(s.cpu.percent)}`}
              data-testid="monitor-cpu"
              title="CPU use of the whole machine (all cores together = 100%)"
            >
              CPU {formatPercent(s.cpu.percent)}
            </span>
            {ncores > 0 ? (
              <span class="muted figure-note" data-testid="monitor-cpu-scope">
                whole machine, {ncores} {ncores === 1 ? "core" : "cores"}
              </span>
            ) : null}
          </div>
          <div class="load-row small" data-testid="monitor-load" title="Load averages: runnable processes over the last 1, 5 and 15 minutes">
            Load{" "}
            {labelledLoad(s.load).map(([span, v], i) => (
              <span key={span} class="load-figure" data-testid="monitor-load-figure">
                {i > 0 ? " · " : ""}
                <span class="muted">{span}</span> {v}
              </span>
            ))}
          </div>
          <Chart data={cpuData} series={cpuSeries} kind="percent" testid="monitor-cpu-chart" />
          {cores.shown.length > 0 ? (
            <div class="cores-block">
              <div class="cores-head muted small">Per core (each 0–100%)</div>
              <div class="cores" data-testid="monitor-cores">
                {cores.shown.map((p, i) => (
                  <div
                    key={i}
                    class={`core-cell level-${levelOf(p)}`}
                    title={`Core ${i}: ${formatPercent(p)}`}
                    data-testid="monitor-core"
                  >
                    <div class={`core level-${levelOf(p)}`}>
                      <div class="core-fill" style={{ height: `${Math.max(2, Math.min(100, p))}%` }} />
                    </div>
                    <span class="core-label">{i}</span>
                  </div>
                ))}
                {cores.more > 0 ? <span class="muted small">+{cores.more} more</span> : null}
              </div>
            </div>
          ) : null}
          <div class="figure-row">
            <span class={`figure level-${levelOf(memPct)}`} data-testid="monitor-mem">
              Memory {formatBytes(s.memory.used_bytes)} / {formatBytes(s.memory.total_bytes)} ({formatPercent(memPct)})
            </span>
          </div>
          <Chart data={memData} series={memSeries} kind="percent" testid="monitor-mem-chart" />
          {s.memory.swap_total_bytes > 0 ? (
            <Bar
              percent={swapPct}
              label="Swap"
              detail={`${formatBytes(s.memory.swap_used_bytes)} / ${formatBytes(s.memory.swap_total_bytes)}`}
              testid="monitor-swap"
            />
          ) : (
            <div class="muted small">No swap</div>
          )}
          <div class="figure-row">
            <span class="figure" data-testid="monitor-net">
              ↓ {formatRate(s.net.rx_bytes_per_s)} ↑ {formatRate(s.net.tx_bytes_per_s)}
            </span>
          </div>
          <Chart data={netData} series={netSeries} kind="rate" testid="monitor-net-chart" />
          <div class="subhead">Disks</div>
          <div data-testid="monitor-disks">
            {disks.shown.length === 0 ? <div class="muted small">No disks reported</div> : null}
            {disks.shown.map((d) => (
              <Bar
                key={d.mount}
                percent={percentOf(d.used_bytes, d.total_bytes)}
                label={clipped(d.mount, MONITOR_MAX_TEXT_BYTES)}
                detail={`${formatBytes(d.used_bytes)} / ${formatBytes(d.total_bytes)} · ${clipped(d.fs, MONITOR_MAX_TEXT_BYTES)}`}
              />
            ))}
            {disks.more > 0 ? <div class="muted small">+{disks.more} more</div> : null}
          </div>
          <div class="figure-row small">
            <span data-testid="monitor-uptime">Up {formatUptime(s.uptime_s)}</span>
            <span class="muted">{s.processes} processes</span>
          </div>
          <div class="subhead">Top processes</div>
          <table class="top top-processes" data-testid="monitor-top">
            <thead>
              <tr>
                <th class="num pid">PID</th>
                <th>Process</th>
                <th class="num" title={`Share of the whole machine (${ncores} ${ncores === 1 ? "core" : "cores"} = 100%)`}>
                  CPU
                </th>
                <th class="num">Memory</th>
              </tr>
            </thead>
            <tbody>
              {bounded(s.top, MONITOR_MAX_TOP).shown.map((p) => {
                const share = machinePercent(p.cpu_percent, ncores);
                const name = clipped(p.name, MONITOR_MAX_TEXT_BYTES);
                return (
                  <tr key={p.pid} data-testid="monitor-process">
                    <td class="num pid" data-testid="monitor-process-pid">
                      {p.pid}
                    </td>
                    <td class="process-name" title={name} data-testid="monitor-process-name">
                      {name}
                    </td>
                    <td class={`num level-${levelOf(share)}`}>{formatPercent(share)}</td>
                    <td class="num">{formatBytes(p.memory_bytes)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div class="muted small">CPU as a share of the whole machine.</div>
        </>
      ) : null}
    </section>
  );
}
