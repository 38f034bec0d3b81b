/**
 * A tiny line chart (SVG attributes only: nothing the CSP's style-src would block). A null is an
 * interval without a value: a gap, never a zero. Nothing is drawn until there is a line to draw
 * next to a value: at least two values, the latest one among them.
 */
export function Sparkline({ values, label, width = 160, height = 32 }: { values: (number | null)[]; label: string; width?: number; height?: number }) {
  const known = values.filter((v): v is number => v !== null);
  if (known.length < 2 || values.at(-1) === null) return null;
  const max = Math.max(...known, 1e-9);
  const step = width / (values.length - 1);
  let d = '';
  values.forEach((v, i) => {
    if (v === null) return;
    d += `${i === 0 || values[i - 1] === null ? 'M' : 'L'}${(i * step).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`;
  });
  return (
    <svg className="spark" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={label}>
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
