/**
 * User text → an FTS5 query that means "any of these words", whatever the text holds.
 * FTS5's query language gives meaning to quotes, AND/OR/NOT/NEAR, `*`, `^`, `:` and
 * parentheses; rather than escape them, only the words are kept (letters, digits, marks —
 * what the unicode61 tokenizer keeps too), each quoted as a literal string. So no input can
 * raise a syntax error or change the query's meaning; BM25 ranks the records with most of
 * the rarer words first.
 */
export const MAX_QUERY_TERMS = 64;

export function keywordTerms(text: string): string[] {
  const words = text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  return [...new Set(words)].slice(0, MAX_QUERY_TERMS);
}

/** The FTS5 MATCH expression, or null when the text has no words (nothing can match). */
export function ftsQuery(text: string): string | null {
  const terms = keywordTerms(text);
  return terms.length === 0 ? null : terms.map((t) => `"${t}"`).join(' OR ');
}
