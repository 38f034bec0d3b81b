/**
 * The Insights page's pictures, drawn as SVG with attributes only (no inline style: the CSP's
 * style-src is 'self'): the 2-D map, bars with marked thresholds, the norms' spread, the strip
 * of dimensions. Each chart is an image with a label saying what it shows in words.
 */
import { scaleLinear } from 'd3-scale';
import type { PointerEvent } from 'react';
import { clusterColour, fig, type ProjectionPoint } from '../lib/insights';

/** A small square of a cluster's colour (a legend's key). */
export function Swatch({ colour }: { colour: string }) {
  return (
    <svg className="swatch" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
      <rect width="12" height="12" rx="2" fill={colour} />
    </svg>
  );
}

const MAP_W = 640;
const MAP_H = 420;
const PAD = 14;

/**
 * The scatter of a projection, points coloured by cluster. Hovering (or tapping) a point hands
 * its id to `onPoint`; `selected` is drawn larger, ringed, with its id beside it.
 */
export function ScatterMap({ points, selected, onPoint, label }: { points: ProjectionPoint[]; selected: string | null; onPoint(id: string): void; label: string }) {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  // A flat extent (one point, or all at one place) is widened so the points sit in the middle.
  const extent = (v: number[]): [number, number] => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  };
  const x = scaleLinear().domain(extent(xs)).range([PAD, MAP_W - PAD]);
  // Up is up: larger y higher on the screen.
  const y = scaleLinear().domain(extent(ys)).range([MAP_H - PAD, PAD]);
  const r = points.length > 2000 ? 2.2 : points.length > 500 ? 3 : 4;
  const over = (e: PointerEvent<SVGSVGElement>) => {
    const id = (e.target as Element).getAttribute('data-id');
    if (id !== null && id !== selected) onPoint(id);
  };
  const chosen = selected === null ? undefined : points.find((p) => p.id === selected);
  const labelX = chosen ? x(chosen.x) : 0;
  return (
    <svg className="map" viewBox={`0 0 ${MAP_W} ${MAP_H}`} role="img" aria-label={label} onPointerOver={over} onPointerDown={over}>
      <rect className="map-bg" x="0" y="0" width={MAP_W} height={MAP_H} />
      <g>
        {points.map((p) => (
          <circle key={p.id} data-id={p.id} data-cluster={p.cluster} cx={x(p.x).toFixed(1)} cy={y(p.y).toFixed(1)} r={r} fill={clusterColour(p.cluster)} fillOpacity="0.8" />
        ))}
      </g>
      {chosen && (
        <g className="map-selected" pointerEvents="none">
          <circle cx={x(chosen.x)} cy={y(chosen.y)} r={r + 4} fill={clusterColour(chosen.cluster)} stroke="#1b1f2a" strokeWidth="2" />
          <text x={labelX > MAP_W - 160 ? labelX - 10 : labelX + 10} y={Math.max(14, y(chosen.y) - 8)} textAnchor={labelX > MAP_W - 160 ? 'end' : 'start'} className="map-label">
            {chosen.id}
          </text>
        </g>
      )}
    </svg>
  );
}

/** A mark on a bar's scale (a threshold), drawn as a dashed line, with its name in the legend below. */
export interface Mark {
  at: number;
  label: string;
}

/**
 * One horizontal bar, 0…`max`, with threshold marks: rows of these line up (same `max`), so a
 * mark drawn on each row reads as one line down the chart.
 */
export function Bar({ value, max, colour, marks = [], label }: { value: number; max: number; colour: string; marks?: Mark[]; label: string }) {
  const w = (v: number) => Math.max(0, Math.min(100, (v / max) * 100));
  return (
    <svg className="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={label}>
      <rect className="bar-track" x="0" y="1" width="100" height="8" rx="1" />
      <rect x="0" y="1" width={w(value)} height="8" rx="1" fill={colour} />
      {marks.map((m) => (
        <line key={m.label} x1={w(m.at)} x2={w(m.at)} y1="0" y2="10" className="bar-mark" vectorEffect="non-scaling-stroke" />
      ))}
    </svg>
  );
}

/**
 * A gauge: the value on a 0…`max` track whose zones, cut at the marks, go from fine to bad
 * (green, amber, red), and the marks named beneath.
 */
export function Gauge({ value, max, marks, label, shown }: { value: number; max: number; marks: Mark[]; label: string; shown: string }) {
  const at = (v: number) => Math.max(0, Math.min(100, (v / max) * 100));
  const cuts = [0, ...marks.map((m) => at(m.at)), 100];
  const zones = ['#d7efdd', '#fbe7b0', '#f7c9c4'];
  return (
    <figure className="gauge">
      <svg viewBox="0 0 100 12" preserveAspectRatio="none" role="img" aria-label={`${label}: ${shown}; ${marks.map((m) => `${m.label} at ${fig(m.at)}`).join(', ')}`}>
        {cuts.slice(0, -1).map((c, i) => (
          <rect key={c} x={c} y="3" width={cuts[i + 1] - c} height="6" fill={zones[Math.min(i, zones.length - 1)]} />
        ))}
        <line x1={at(value)} x2={at(value)} y1="0" y2="12" stroke="#1b1f2a" strokeWidth="3" vectorEffect="non-scaling-stroke" />
      </svg>
      <figcaption>
        <strong>{shown}</strong> <span className="muted">{marks.map((m) => `${m.label} ≥ ${fig(m.at)}`).join(' · ')}</span>
      </figcaption>
    </figure>
  );
}

/** Whether all the vectors have (nearly) one length: nothing to draw but that length. */
export function sameLength(norms: { min: number; max: number }): boolean {
  return norms.max - norms.min <= 1e-6 * Math.max(1, Math.abs(norms.max));
}

/**
 * The vectors' lengths: the whole range (min to max), the 1st–99th percentile box, the median,
 * and the mean ± one standard deviation. The answer gives these figures, not bins.
 */
export function NormsChart({ norms }: { norms: { min: number; max: number; mean: number; std: number; p1: number; p50: number; p99: number } }) {
  // Normalised vectors (a model's unit vectors): one length, nothing to draw.
  if (sameLength(norms)) {
    return (
      <p className="norms-flat" data-testid="norms-flat">
        Every vector has length {fig(norms.max)}{Math.abs(norms.max - 1) < 1e-3 ? ' (normalised)' : ''}.
      </p>
    );
  }
  const W = 400;
  const lo = norms.min;
  const hi = norms.max;
  const x = scaleLinear().domain([lo, hi]).range([10, W - 10]);
  const ticks = x.ticks(5);
  const label = `vector lengths: min ${fig(norms.min)}, 1st percentile ${fig(norms.p1)}, median ${fig(norms.p50)}, 99th percentile ${fig(norms.p99)}, max ${fig(norms.max)}; mean ${fig(norms.mean)} ± ${fig(norms.std)}`;
  return (
    <svg className="norms" viewBox={`0 0 ${W} 70`} role="img" aria-label={label}>
      <line x1={x(norms.min)} x2={x(norms.max)} y1="22" y2="22" className="axis-line" />
      <line x1={x(norms.min)} x2={x(norms.min)} y1="14" y2="30" className="axis-line" />
      <line x1={x(norms.max)} x2={x(norms.max)} y1="14" y2="30" className="axis-line" />
      <rect x={x(norms.p1)} y="12" width={Math.max(1, x(norms.p99) - x(norms.p1))} height="20" rx="2" className="norms-box" />
      <line x1={x(norms.p50)} x2={x(norms.p50)} y1="10" y2="34" className="norms-median" />
      <line x1={x(Math.max(lo, norms.mean - norms.std))} x2={x(Math.min(hi, norms.mean + norms.std))} y1="40" y2="40" className="norms-std" />
      <circle cx={x(norms.mean)} cy="40" r="3.5" className="norms-mean" />
      {ticks.map((t) => (
        <text key={t} x={x(t)} y="62" textAnchor="middle" className="tick">
          {fig(t)}
        </text>
      ))}
    </svg>
  );
}

/** Every dimension as a cell (64 to a row), the dead ones red. */
export function DimensionStrip({ dimension, dead }: { dimension: number; dead: number[] }) {
  const cols = Math.min(64, dimension);
  const rows = Math.ceil(dimension / cols);
  const deadSet = new Set(dead);
  const cell = 10;
  return (
    <svg className="dims" viewBox={`0 0 ${cols * cell} ${rows * cell}`} role="img" aria-label={`${dimension} dimensions, ${dead.length} dead${dead.length ? `: ${dead.slice(0, 20).join(', ')}${dead.length > 20 ? ', …' : ''}` : ''}`}>
      {Array.from({ length: dimension }, (_, i) => (
        <rect key={i} data-dead={deadSet.has(i) || undefined} x={(i % cols) * cell + 0.5} y={Math.floor(i / cols) * cell + 0.5} width={cell - 1} height={cell - 1} fill={deadSet.has(i) ? '#b42318' : '#cfd6f5'}>
          <title>{`dimension ${i}${deadSet.has(i) ? ': dead (constant)' : ''}`}</title>
        </rect>
      ))}
    </svg>
  );
}
