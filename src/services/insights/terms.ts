/**
 * Distinctive terms of a group of texts against a background (the collection): the weighted
 * log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), which
 * neither favours rare words (as a raw ratio does) nor frequent ones (as counts do).
 */

const STOP = new Set(
  ('the and for are but not you all any can had her was one our out has have him his how its may new now old see two way who did get let say she too use that with this from they will would there their what about which when your than then them were been into more some such only also very just over most other each these those where while after before because could should being here does doing done like upon onto per via').split(' '),
);

/** Lowercased words of 3+ letters or digits (starting with a letter), stop words left out. */
export function tokens(text: string): string[] {
  return (text.toLowerCase().match(/\p{L}[\p{L}\p{N}'_-]{2,}/gu) ?? []).filter((w) => !STOP.has(w));
}

export function countTerms(texts: Iterable<string>): { counts: Map<string, number>; total: number } {
  const counts = new Map<string, number>();
  let total = 0;
  for (const t of texts)
    for (const w of tokens(t)) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      total++;
    }
  return { counts, total };
}

/** Prior weight: the background's word distribution scaled to this many pseudo-counts. */
const PRIOR = 500;
/** Kept when the z-score of the log-odds ratio exceeds this (two-sided 5 %). */
const MIN_Z = 1.96;

/**
 * Up to `limit` words used more in `group` than in the rest of `background` (which includes
 * the group), best first, each seen at least twice in the group.
 */
export function distinctiveTerms(group: { counts: Map<string, number>; total: number }, background: { counts: Map<string, number>; total: number }, limit = 8): string[] {
  if (group.total === 0 || background.total === 0) return [];
  const restTotal = Math.max(background.total - group.total, 0);
  const scored: { w: string; z: number }[] = [];
  for (const [w, y1] of group.counts) {
    if (y1 < 2) continue;
    const bg = background.counts.get(w) ?? y1;
    const y2 = Math.max(bg - y1, 0);
    const a = (PRIOR * bg) / background.total;
    const delta = Math.log((y1 + a) / (group.total + PRIOR - y1 - a)) - Math.log((y2 + a) / (restTotal + PRIOR - y2 - a));
    const z = delta / Math.sqrt(1 / (y1 + a) + 1 / (y2 + a));
    if (z > MIN_Z) scored.push({ w, z });
  }
  return scored
    .sort((x, y) => y.z - x.z || (x.w < y.w ? -1 : 1))
    .slice(0, limit)
    .map((s) => s.w);
}
