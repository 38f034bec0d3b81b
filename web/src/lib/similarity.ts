/** Sentence pairs typed one per line ("a | b") and the cosine of their embeddings. */

export function parsePairs(text: string): { pairs: [string, string][]; error: string | null } {
  const pairs: [string, string][] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const parts = line.split('|');
    if (parts.length !== 2 || !parts[0].trim() || !parts[1].trim()) return { pairs: [], error: `line ${i + 1}: write two sentences separated by "|"` };
    pairs.push([parts[0].trim(), parts[1].trim()]);
  }
  return { pairs, error: pairs.length === 0 ? 'add at least one pair' : null };
}

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export function norm(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}
