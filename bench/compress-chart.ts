/**
 * Recall@10 against bytes per vector (log scale), one point per compression method: filled
 * for the search over compressed vectors, hollow for the same after rescoring the top 100,
 * joined by a line. Plain SVG (GitHub renders it); no renderer needed.
 */

export interface RecallPoint {
  name: string;
  bytes: number;
  recall: number;
  rescored: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function recallChartSvg(points: RecallPoint[], title: string): string {
  const W = 960;
  const H = 560;
  const m = { l: 70, r: 40, t: 50, b: 60 };
  const lo = Math.log10(8);
  const hi = Math.log10(512);
  const px = (bytes: number) => m.l + ((Math.log10(bytes) - lo) / (hi - lo)) * (W - m.l - m.r);
  const py = (recall: number) => H - m.b - recall * (H - m.t - m.b);
  const svg: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="12">`];
  svg.push(`<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${m.l}" y="28" font-size="16" font-weight="bold">${esc(title)}</text>`);
  for (const b of [8, 16, 32, 64, 128, 256, 512]) {
    svg.push(`<line x1="${px(b)}" x2="${px(b)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`, `<text x="${px(b)}" y="${H - m.b + 18}" text-anchor="middle">${b}</text>`);
  }
  for (let r = 0; r <= 1.0001; r += 0.2) {
    svg.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(r)}" y2="${py(r)}" stroke="#ddd"/>`, `<text x="${m.l - 8}" y="${py(r) + 4}" text-anchor="end">${r.toFixed(1)}</text>`);
  }
  svg.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 15}" text-anchor="middle">bytes per vector (log scale; f32 = 400)</text>`);
  svg.push(`<text x="18" y="${(m.t + H - m.b) / 2}" transform="rotate(-90 18 ${(m.t + H - m.b) / 2})" text-anchor="middle">recall@10</text>`);
  const legendY = py(0.12);
  svg.push(`<circle cx="${W - 300}" cy="${legendY}" r="5" fill="#1f77b4"/><text x="${W - 290}" y="${legendY + 4}">over compressed vectors</text>`);
  svg.push(`<circle cx="${W - 300}" cy="${legendY + 20}" r="5" fill="white" stroke="#1f77b4" stroke-width="2"/><text x="${W - 290}" y="${legendY + 24}">top 100 rescored with the originals</text>`);
  // Labels go right of their point, moved down until they clear the labels already placed.
  const placed: { x: number; y: number; w: number }[] = [];
  points.forEach((p, i) => {
    // Methods of the same size are nudged apart.
    const x = px(p.bytes) + points.slice(0, i).filter((q) => q.bytes === p.bytes).length * 10;
    svg.push(`<line x1="${x}" x2="${x}" y1="${py(p.recall)}" y2="${py(p.rescored)}" stroke="#9ab" stroke-dasharray="3 3"/>`);
    svg.push(`<circle cx="${x}" cy="${py(p.recall)}" r="5" fill="#1f77b4"/>`, `<circle cx="${x}" cy="${py(p.rescored)}" r="5" fill="white" stroke="#1f77b4" stroke-width="2"/>`);
    const w = p.name.length * 6.5;
    let y = py(p.recall) + 4;
    while (placed.some((b) => Math.abs(b.y - y) < 13 && x + 8 < b.x + b.w && b.x < x + 8 + w)) y += 13;
    placed.push({ x: x + 8, y, w });
    svg.push(`<text x="${x + 8}" y="${y}" font-size="11">${esc(p.name)}</text>`);
  });
  svg.push('</svg>');
  return svg.join('\n');
}
