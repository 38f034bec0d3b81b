/**
 * A search's answer: timing and plan, what `parse` understood, then the hits — with each
 * side's score and rank in hybrid or reranked search, highlights, and, grouped by document,
 * one row a document with its best chunks.
 */
import { score, short } from '../lib/format';
import type { BySide, ParsedQuery, SearchAnswer, SearchChunk, SearchHit } from '../lib/types';
import { Marked } from './Marked';

const SIDE_ORDER = ['dense', 'keyword', 'rerank'];
const SIDE_NAMES: Record<string, string> = { dense: 'Dense', keyword: 'Keyword', rerank: 'Rerank', mmr: 'MMR' };

/** The sides any hit has a score or rank for, in a fixed order (sides the API adds later come last). */
export function sidesOf(hits: SearchHit[]): string[] {
  const seen = new Set<string>();
  for (const h of hits) for (const side of [...Object.keys(h.scores ?? {}), ...Object.keys(h.ranks ?? {})]) seen.add(side);
  const rank = (s: string) => (SIDE_ORDER.includes(s) ? SIDE_ORDER.indexOf(s) : SIDE_ORDER.length);
  return [...seen].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function SearchResults({ result, roundTripMs, mmr }: { result: SearchAnswer; roundTripMs: number; mmr: boolean }) {
  const hits = result.results;
  const grouped = hits.some((h) => h.chunks !== undefined);
  const sides = sidesOf(hits);
  // With `return: "id"` hits carry no text or metadata: no empty columns for them.
  const payload = hits.some((h) => h.text !== undefined || h.metadata !== undefined);
  const n = hits.length;
  return (
    <section aria-labelledby="results-h">
      <h2 id="results-h">Results</h2>
      <p role="status" className="muted" data-testid="latency">
        {n} {grouped ? `document${n === 1 ? '' : 's'}` : `result${n === 1 ? '' : 's'}`} · server {result.took_ms.toFixed(2)} ms · round trip {roundTripMs.toFixed(0)} ms · plan {result.plan}
        {result.plans ? ` (dense ${result.plans.dense}, keyword ${result.plans.keyword})` : ''}
      </p>
      {result.parsed && <Parsed parsed={result.parsed} />}
      {n === 0 ? (
        <p className="empty">Nothing matched.</p>
      ) : (
        <>
          {mmr && <p className="muted">In MMR order (relevance traded for variety): Score is each hit’s retrieval score, so it need not descend.</p>}
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col" className="num">#</th>
                  <th scope="col">{grouped ? 'Document' : 'Id'}</th>
                  <th scope="col" className="num">Score</th>
                  {sides.map((s) => (
                    <th key={s} scope="col" className="num">
                      {SIDE_NAMES[s] ?? s}
                    </th>
                  ))}
                  {(grouped || payload) && <th scope="col">{grouped ? 'Best chunks' : 'Text'}</th>}
                  {payload && <th scope="col">Metadata</th>}
                </tr>
              </thead>
              <tbody>
                {hits.map((r, i) => (
                  <tr key={r.id} data-result={r.id} data-document={grouped ? (r.document ?? '') : undefined}>
                    <td className="num">{i + 1}</td>
                    <th scope="row">{grouped ? (r.document ?? <>{r.id} <span className="muted">(not a chunk)</span></>) : r.id}</th>
                    <td className="num">{score(r.score)}</td>
                    {sides.map((s) => (
                      <td key={s} className="num" data-side={s}>
                        <SideScore scores={r.scores} ranks={r.ranks} side={s} />
                      </td>
                    ))}
                    {(grouped || payload) && <td>{grouped ? <Chunks chunks={r.chunks ?? []} /> : <HitText text={r.text} highlight={r.highlight} />}</td>}
                    {payload && <td className="code">{r.metadata ? short(JSON.stringify(r.metadata), 100) : ''}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {sides.length > 0 && <p className="muted">{sidesNote(sides, result.plan === 'hybrid')}</p>}
        </>
      )}
    </section>
  );
}

/** What the score columns mean, for a newcomer. */
function sidesNote(sides: string[], hybrid: boolean): string {
  const retrieval = sides.filter((s) => s === 'dense' || s === 'keyword').map((s) => SIDE_NAMES[s]);
  return [
    retrieval.length > 0 && (hybrid ? `${retrieval.join(' and ')}: the score and rank (#) each side of the hybrid search gave the hit.` : `${retrieval.join(' and ')}: the retrieval score and rank (#), before reranking.`),
    sides.includes('rerank') && 'Rerank: the cross-encoder’s score, which orders the results.',
  ]
    .filter(Boolean)
    .join(' ');
}

function SideScore({ scores, ranks, side }: { scores?: BySide; ranks?: BySide; side: string }) {
  const s = scores?.[side];
  const r = ranks?.[side];
  if (s === undefined && r === undefined) return <>—</>;
  return (
    <>
      {s !== undefined && score(s)}
      {r !== undefined && <span className="rank"> #{r}</span>}
    </>
  );
}

function HitText({ text, highlight }: { text?: string | null; highlight?: string }) {
  return highlight ? <Marked text={highlight} /> : <>{short(text, 160)}</>;
}

function Chunks({ chunks }: { chunks: SearchChunk[] }) {
  return (
    <ol className="chunks">
      {chunks.map((c) => (
        <li key={c.id} data-chunk={c.id}>
          <code>{c.id}</code> <span className="muted">{score(c.score)}</span> <HitText text={c.text} highlight={c.highlight} />
        </li>
      ))}
    </ol>
  );
}

/** What `parse` read out of the text: the text searched, the filter it applied, and what it could not place. */
function Parsed({ parsed }: { parsed: ParsedQuery }) {
  return (
    <div className="card parsed" data-testid="parsed">
      <h3>Understood</h3>
      <p>
        Searched for “{parsed.query}”{' '}
        {parsed.filter ? (
          <>
            with the filter <code>{JSON.stringify(parsed.filter)}</code> read from the text.
          </>
        ) : (
          <>with no filter read from the text.</>
        )}
      </p>
      {parsed.constraints.length > 0 && (
        <ul className="compact">
          {parsed.constraints.map((c) => (
            <li key={c.text}>
              “{c.text}” → <strong>{c.field}</strong> <code>{JSON.stringify(c.filter)}</code>
            </li>
          ))}
        </ul>
      )}
      {parsed.unmatched.length > 0 && (
        <ul className="compact">
          {parsed.unmatched.map((u) => (
            <li key={u.text}>
              “{u.text}” not applied: {u.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
