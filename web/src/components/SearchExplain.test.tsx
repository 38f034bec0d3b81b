/** The explain timeline (happy-dom) over answers a real server gave: lanes, widths in proportion to time, colours per stage, the texts. */
import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { SearchExplain } from './SearchExplain';
import { EXACT_FILTERED, FILTERED_WALK, HYBRID, PLAIN_HNSW } from '../lib/explain-fixtures';
import { stageColour, timeline } from '../lib/timeline';
import type { SearchExplain as Explain } from '../lib/types';

const explainOf = (a: { explain?: Explain }) => a.explain!;

/** The lanes drawn, top to bottom: their name and segments [stage, x %, width %, colour, label shown]. */
function lanes() {
  return [...document.querySelectorAll('[data-lane]')].map((lane) => ({
    lane: lane.getAttribute('data-lane'),
    segments: [...lane.querySelectorAll('svg[data-stage]')].map((seg) => ({
      stage: seg.getAttribute('data-stage')!,
      x: parseFloat(seg.getAttribute('x')!),
      width: parseFloat(seg.getAttribute('width')!),
      fill: seg.querySelector('rect')!.getAttribute('fill'),
      title: seg.querySelector('title')!.textContent,
      label: seg.querySelector('text')?.textContent ?? null,
    })),
  }));
}

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-9);

describe('explain timeline', () => {
  it('hybrid: a lane per side starting together, the shared stages after the longer side, widths in proportion to ms', () => {
    const e = explainOf(HYBRID);
    render(<SearchExplain explain={e} />);
    const drawn = lanes();
    expect(drawn.map((l) => [l.lane, l.segments.map((s) => s.stage)])).toEqual([
      ['dense', ['embed', 'graph', 'rescore', 'fetch']],
      ['keyword', ['keyword', 'fetch']],
      ['shared', ['fusion', 'fetch']],
    ]);
    // The scale is the total (25.041 ms): every width is ms / total.
    const ms = (side: string | undefined, stage: string) => e.stages.find((s) => s.side === side && s.stage === stage)!.ms;
    const seg = (lane: string, stage: string) => drawn.find((l) => l.lane === lane)!.segments.find((s) => s.stage === stage)!;
    for (const s of e.stages) close(seg(s.side ?? 'shared', s.stage).width, (s.ms / e.total_ms) * 100);
    // Proportional to each other: the embedding took 22.969 ms, the graph walk 0.234 ms.
    close(seg('dense', 'embed').width / seg('dense', 'graph').width, 22.969 / 0.234);
    // Both sides start at 0; within a lane, each stage starts where the one before ended.
    expect(seg('dense', 'embed').x).toBe(0);
    expect(seg('keyword', 'keyword').x).toBe(0);
    close(seg('dense', 'graph').x, seg('dense', 'embed').width);
    close(seg('keyword', 'fetch').x, seg('keyword', 'keyword').width);
    // Fusion starts when the longer side (dense: 23.637 ms) has ended.
    const denseEnd = ms('dense', 'embed') + ms('dense', 'graph') + ms('dense', 'rescore') + ms('dense', 'fetch');
    close(seg('shared', 'fusion').x, (denseEnd / e.total_ms) * 100);
    // One colour per stage, in every lane; different stages, different colours.
    expect(new Set([seg('dense', 'fetch').fill, seg('keyword', 'fetch').fill, seg('shared', 'fetch').fill])).toEqual(new Set([stageColour('fetch')]));
    expect(new Set(drawn.flatMap((l) => l.segments.filter((s) => s.stage !== 'fetch').map((s) => s.fill))).size).toBe(5);
    // Hover says the stage, side, time and candidates; only a segment wide enough shows its name.
    expect(seg('dense', 'graph').title).toBe('graph (dense): 0.234 ms, 6 candidates');
    expect(seg('dense', 'embed').title).toBe('embed (dense): 22.969 ms');
    expect(seg('dense', 'embed').label).toBe('embed');
    expect(seg('dense', 'graph').label).toBeNull();
    // The plan, the reason, each side's plan and reason, the dense side's graph work, the total at the end.
    expect(screen.getByTestId('explain-reason').textContent).toBe(
      'Plan hybrid: a dense and a keyword search (100 candidates each), fused by reciprocal rank fusion (k 60); "sides" says how each ran',
    );
    const dense = document.querySelector('.explain-side[data-side="dense"]')!;
    expect(dense.querySelector('h3')!.textContent).toBe('Dense side: plan hnsw');
    expect(dense.textContent).toContain('no filter: a walk of the HNSW graph keeping 200 candidates (ef)');
    expect(within(dense as HTMLElement).getByTestId('explain-graph').textContent).toMatch(/^Graph: 1 search, the last 200 wide \(ef\), returning 6 candidates\. Nodes visited and distances computed: not known\./);
    expect(document.querySelector('.explain-side[data-side="keyword"]')!.textContent).toBe("Keyword side: plan keywordBM25 over the records' text (SQLite FTS5)");
    expect(screen.getByTestId('explain-total').textContent).toBe('Total 25.041 ms, from the request reaching the search service to this explanation.');
    // The stage table, each stage with its side.
    const rows = [...screen.getByTestId('stages').querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent!.trim()));
    expect(rows[2]).toEqual(['embed dense', '22.969 ms', '91.73 %', '—']);
    expect(rows[6]).toEqual(['fusion both', '0.177 ms', '0.71 %', '6']);
  });

  it('a filtered walk: one lane, the selectivity estimate (at least), the widening rounds, the graph work', () => {
    const e = explainOf(FILTERED_WALK);
    render(<SearchExplain explain={e} />);
    const drawn = lanes();
    expect(drawn.map((l) => l.lane)).toEqual(['search']);
    expect(drawn[0].segments.map((s) => [s.stage, s.label])).toEqual([
      ['filter', 'filter'],
      ['graph', null],
      ['rescore', 'rescore'],
      ['fetch', null],
    ]);
    // Laid end to end, each ms / total wide.
    let x = 0;
    for (const [i, s] of e.stages.entries()) {
      close(drawn[0].segments[i].x, x);
      close(drawn[0].segments[i].width, (s.ms / e.total_ms) * 100);
      x += (s.ms / e.total_ms) * 100;
    }
    expect(screen.getByTestId('explain-reason').textContent).toMatch(/^Plan hnsw-filtered: the filter matches more than 1000 of 5000 records \(counting stopped at 1001\)/);
    expect(screen.getByTestId('explain-filter').textContent).toBe(
      'Filter selectivity: ≥ 1,001 of 5,000 records match (≥ 20.02 %): counting stopped at 1,001, one past the threshold. Threshold 1,000, by the rule max(k, min(5000, max(1000, 2 % of the records))): up to it the matches are scanned exactly, above it the graph is walked.',
    );
    const rounds = [...screen.getByTestId('explain-rounds').querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent));
    expect(rounds).toEqual([
      ['1', '200', '200', '200', '52'],
      ['2', '924', '924', '924', '235'],
    ]);
    expect(screen.getByTestId('explain-graph').textContent).toMatch(/^Graph: 2 searches, the last 924 wide \(ef\), returning 924 candidates\./);
    expect(screen.getByRole('columnheader', { name: 'Stage' })).toBeTruthy();
    expect(document.querySelector('.stage-side')).toBeNull();
  });

  it('an exact scan of few matches: the selectivity counted exactly, no rounds and no graph', () => {
    render(<SearchExplain explain={explainOf(EXACT_FILTERED)} />);
    expect(screen.getByTestId('explain-filter').textContent).toMatch(/^Filter selectivity: 10 of 5,000 records match \(0\.2 %\), counted exactly\. Threshold 1,000/);
    expect(screen.queryByTestId('explain-rounds')).toBeNull();
    expect(screen.queryByTestId('explain-graph')).toBeNull();
    expect(lanes()[0].segments.map((s) => s.stage)).toEqual(['filter', 'scan', 'fetch']);
  });

  it('says plainly that the graph did not report the nodes it visited, with the server’s note', () => {
    const e = explainOf(PLAIN_HNSW);
    expect(e.graph!.visited).toBeNull();
    render(<SearchExplain explain={e} />);
    expect(screen.getByTestId('explain-graph').textContent).toBe(
      `Graph: 1 search, the last 200 wide (ef), returning 5 candidates. Nodes visited and distances computed: not known. ${e.graph!.note}.`,
    );
    expect(screen.queryByTestId('explain-filter')).toBeNull();
    expect(screen.getByTestId('explain-total').textContent).toMatch(/^Total 0\.641 ms/);
  });

  it('lays a shared stage before the sides (parse) first, both sides after it; the scale stretches past a total shorter than the layout', () => {
    const t = timeline({
      total_ms: 4,
      stages: [
        { stage: 'parse', ms: 1 },
        { stage: 'keyword', side: 'keyword', ms: 1 },
        { stage: 'embed', side: 'dense', ms: 3 },
        { stage: 'fusion', ms: 1 },
      ],
    });
    expect(t.scaleMs).toBe(5);
    expect(t.lanes.map((l) => [l.name, l.segments.map((s) => [s.stage, s.startMs, s.widthPct])])).toEqual([
      ['dense', [['embed', 1, 60]]],
      ['keyword', [['keyword', 1, 20]]],
      ['shared', [['parse', 0, 20], ['fusion', 4, 20]]],
    ]);
    expect(stageColour('a stage added later')).toBe('#e0e0e0');
  });
});
