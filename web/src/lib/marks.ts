/**
 * A search hit's `highlight`: the server puts <mark>…</mark> around matched words and does
 * not escape the rest. Split it into plain and marked runs of text, so the page renders the
 * marks as <mark> elements and everything else as text (escaped by React): no markup in the
 * record's text, not even a stray <mark> without its </mark>, ever becomes HTML.
 */
export interface Run {
  text: string;
  marked: boolean;
}

const MARKED = /<mark>([\s\S]*?)<\/mark>/g;

export function markedRuns(highlight: string): Run[] {
  const runs: Run[] = [];
  let at = 0;
  for (const m of highlight.matchAll(MARKED)) {
    if (m.index > at) runs.push({ text: highlight.slice(at, m.index), marked: false });
    if (m[1] !== '') runs.push({ text: m[1], marked: true });
    at = m.index + m[0].length;
  }
  if (at < highlight.length) runs.push({ text: highlight.slice(at), marked: false });
  return runs;
}
