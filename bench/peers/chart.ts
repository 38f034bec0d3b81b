/**
 * The recall-vs-QPS chart as an SVG drawn here (x: recall@10, y: queries/s on a log scale,
 * one line per system, exact systems as single points), rendered to PNG by resvg (a Rust
 * renderer shipped as a prebuilt npm binary: no browser, no canvas build).
 */
import { Resvg } from '@resvg/resvg-js';

interface Series {
  name: string;
  points: { recall: number; qps1: number }[];
}

const COLORS = ['#d62728', '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function chartSvg(series: Series[], title: string): string {
  const W = 960;
  const H = 600;
  const m = { l: 80, r: 260, t: 50, b: 60 };
  const all = series.flatMap((s) => s.points);
  const xMin = Math.max(0, Math.floor(Math.min(...all.map((p) => p.recall)) * 10) / 10);
  const yLo = Math.floor(Math.log10(Math.max(1, Math.min(...all.map((p) => p.qps1)))));
  const yHi = Math.ceil(Math.log10(Math.max(...all.map((p) => p.qps1))));
  const x = (r: number) => m.l + ((r - xMin) / (1 - xMin)) * (W - m.l - m.r);
  const y = (q: number) => H - m.b - ((Math.log10(Math.max(q, 1)) - yLo) / Math.max(1, yHi - yLo)) * (H - m.t - m.b);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="13">`];
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.l}" y="28" font-size="16" font-weight="bold">${esc(title)}</text>`);
  for (let e = yLo; e <= yHi; e++) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.l - 8}" y="${y(10 ** e) + 4}" text-anchor="end">${(10 ** e).toLocaleString('en-US')}</text>`);
  }
  for (let r = xMin; r <= 1.0001; r += 0.1) {
    out.push(`<line x1="${x(r)}" x2="${x(r)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`);
    out.push(`<text x="${x(r)}" y="${H - m.b + 18}" text-anchor="middle">${r.toFixed(1)}</text>`);
  }
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 15}" text-anchor="middle">recall@10</text>`);
  out.push(`<text x="20" y="${(m.t + H - m.b) / 2}" transform="rotate(-90 20 ${(m.t + H - m.b) / 2})" text-anchor="middle">queries / s (1 client, log scale)</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a.recall - b.recall);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2.5" points="${pts.map((p) => `${x(p.recall).toFixed(1)},${y(p.qps1).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${x(p.recall).toFixed(1)}" cy="${y(p.qps1).toFixed(1)}" r="4.5" fill="${c}"/>`);
    out.push(`<rect x="${W - m.r + 20}" y="${m.t + i * 24 - 10}" width="14" height="14" fill="${c}"/>`);
    out.push(`<text x="${W - m.r + 42}" y="${m.t + i * 24 + 2}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

export function renderChart(series: Series[], title: string): Buffer {
  return new Resvg(chartSvg(series, title), { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
