/**
 * One question and its answer: the answer's `[n]` markers are buttons that open their
 * citation in the list of sources under it (the passage, its document, title, section,
 * collection and score), as the list's own buttons do; how it was answered (extractive,
 * cached, not grounded) said under the answer.
 */
import { useId, useRef, useState } from 'react';
import { answerRuns, type Turn } from '../lib/chat';
import { score } from '../lib/format';
import type { Citation } from '../lib/types';
import { ErrorNote } from './ErrorNote';
import { Facts } from './Facts';

export function ChatTurn({ turn, index }: { turn: Turn; index: number }) {
  const base = useId();
  const [open, setOpen] = useState<number | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const detailId = (n: number) => `${base}-source-${n}`;
  const show = (n: number, fromMarker: boolean) => {
    const next = open === n && !fromMarker ? null : n;
    setOpen(next);
    // From a marker in the answer, bring the source into view (the list may be below the fold).
    if (fromMarker) requestAnimationFrame(() => list.current?.querySelector(`[data-n="${n}"]`)?.scrollIntoView?.({ block: 'nearest' }));
  };
  const streaming = turn.state === 'streaming';
  return (
    <li className="turn" data-turn={index} data-state={turn.state}>
      <p className="question">
        <span className="sr-only">You asked: </span>
        {turn.question}
      </p>
      <div className="answer card" aria-busy={streaming}>
        <p className="answer-text" data-testid="answer">
          {turn.answer === '' && streaming ? (
            <span className="muted">Searching your documents…</span>
          ) : (
            answerRuns(turn.answer, turn.citations).map((r, i) =>
              r.n === undefined ? (
                <span key={i}>{r.text}</span>
              ) : (
                <button key={i} type="button" className="marker" data-n={r.n} aria-expanded={open === r.n} aria-controls={detailId(r.n)} title={`Show source ${r.n}`} onClick={() => show(r.n, true)}>
                  {r.text}
                </button>
              ),
            )
          )}
          {streaming && turn.answer !== '' && <span className="caret" aria-hidden="true" />}
        </p>
        <ErrorNote error={turn.error} />
        <AnswerMeta turn={turn} />
        {turn.citations.length > 0 && (
          <>
            <h3 className="sources-h">Sources</h3>
            <ol className="sources" ref={list}>
              {turn.citations.map((c) => (
                <li key={c.n} data-n={c.n}>
                  <button type="button" className="source" aria-expanded={open === c.n} aria-controls={detailId(c.n)} onClick={() => show(c.n, false)}>
                    <span className="source-n">[{c.n}]</span> {c.title ?? c.document ?? c.id}
                    {c.section && <span className="muted"> · {c.section}</span>}
                  </button>
                  {open === c.n && <CitationDetail id={detailId(c.n)} citation={c} />}
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
    </li>
  );
}

function AnswerMeta({ turn }: { turn: Turn }) {
  const m = turn.meta;
  if (!m) return null;
  return (
    <div className="answer-meta" data-testid="answer-meta">
      {m.llm === 'extractive' ? (
        <p>
          <span className="badge" data-testid="llm">
            extractive
          </span>{' '}
          <span className="muted">Sentences quoted from your documents, not written by a model.</span>
        </p>
      ) : (
        <p>
          <span className="badge" data-testid="llm">
            {m.llm}
          </span>{' '}
          <span className="muted">Written by this model from the sources below.</span>
        </p>
      )}
      {m.cached && (
        <p>
          <span className="badge" data-testid="cached">
            cached
          </span>{' '}
          <span className="muted">The same question over the same data was answered before: this is that answer again.</span>
        </p>
      )}
      {!m.grounded && (
        <p className="warning" data-testid="not-grounded">
          The sources found do not answer this question: nothing was quoted.
        </p>
      )}
      {m.query !== turn.question && <p className="muted">Searched for: “{m.query}” (a follow-up is searched with the question before it).</p>}
    </div>
  );
}

function CitationDetail({ id, citation: c }: { id: string; citation: Citation }) {
  return (
    <div id={id} className="citation" role="region" aria-label={`Source ${c.n}`} data-testid="citation-detail">
      <blockquote className="passage">{c.text}</blockquote>
      <Facts
        items={[
          ['Document', c.document ?? '— (not a document chunk)'],
          c.title !== undefined && ['Title', c.title],
          c.section !== undefined && ['Section', c.section],
          ['Collection', c.collection],
          ['Score', score(c.score)],
          ['Chunk', <code>{c.id}</code>],
        ]}
      />
    </div>
  );
}
