/** The analytics chart: one bar per bucket, stacked by event type, empty buckets included.
 * uPlot draws on a canvas, loaded only when the chart is shown; the same numbers are also in a
 * table for screen readers and for copying. */
import { useEffect, useRef } from "preact/hooks";
import type { Analytics } from "./types";
import "uplot/dist/uPlot.min.css";

export const PALETTE = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#6b7280"];

export function typesOf(a: Analytics): string[] {
  const totals = new Map<string, number>();
  for (const b of a.buckets) for (const [t, n] of Object.entries(b.counts)) totals.set(t, (totals.get(t) ?? 0) + n);
  return [...totals.entries()].sort((x, y) => y[1] - x[1]).map(([t]) => t);
}

export function StackedChart({ data, label }: { data: Analytics; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let plot: { destroy(): void; setSize(s: { width: number; height: number }): void } | undefined;
    let observer: ResizeObserver | undefined;
    let cancelled = false;
    void (async () => {
      const { default: uPlot } = await import("uplot");
      // Evaluating uPlot and drawing the chart are two tasks, not one: on a slow phone each stays
      // short enough not to block a tap (Lighthouse's total blocking time counts long tasks).
      await new Promise((next) => setTimeout(next, 0));
      if (cancelled || !host.current) return;
      const types = typesOf(data);
      const xs = data.buckets.map((b) => new Date(b.start).getTime() / 1000);
      // Cumulative series, the tallest first, so each later (shorter) bar paints over the one
      // below it and the stack reads bottom-up in legend order.
      const cumulative = types.map((_, i) =>
        data.buckets.map((b) => types.slice(0, i + 1).reduce((s, t) => s + (b.counts[t] ?? 0), 0)),
      );
      const order = types.map((_, i) => types.length - 1 - i);
      const bars = uPlot.paths.bars!({ size: [0.8, 40] });
      const width = () => Math.max(280, host.current!.clientWidth);
      plot = new uPlot(
        {
          width: width(),
          height: 220,
          legend: { show: false },
          cursor: { show: false },
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          axes: [{ stroke: "#374151" }, { stroke: "#374151", size: 44 }],
          series: [
            {},
            ...order.map((i) => ({
              label: types[i],
              fill: PALETTE[i % PALETTE.length],
              stroke: PALETTE[i % PALETTE.length],
              width: 0,
              paths: bars,
              points: { show: false },
            })),
          ],
        },
        [xs, ...order.map((i) => cumulative[i])] as unknown as uPlot.AlignedData,
        host.current,
      );
      observer = new ResizeObserver(() => plot?.setSize({ width: width(), height: 220 }));
      observer.observe(host.current);
    })();
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [data]);
  return <div class="chart" ref={host} role="img" aria-label={label} />;
}
