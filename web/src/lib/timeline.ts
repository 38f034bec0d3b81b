/**
 * An explained search's stages (`explain.stages`) laid out as a timeline: a lane per side of a
 * hybrid search (dense, keyword) plus one for the stages both share, each stage a segment as
 * long as its time. The API gives each stage's time, not when it started, so the layout follows
 * the order the stages first ran: one after another in a lane; the two sides of a hybrid search
 * start together (the service runs them concurrently), and a shared stage after them starts when
 * the longer side has ended. Widths are shares of the scale: the search's total time, or the laid
 * out end when that is longer.
 */
import { schemePastel1, schemeSet3 } from 'd3-scale-chromatic';
import type { ExplainStage, SearchExplain } from './types';

/** The stages a search can run (src/engine/search-trace.ts), in the order they usually run. */
export const STAGES = ['parse', 'embed', 'filter', 'graph', 'scan', 'tail', 'rescore', 'keyword', 'fetch', 'fusion', 'rerank', 'highlight', 'group'] as const;

/** Light colours (dark labels read on all of them), one per stage: the same stage is the same colour in every lane and every search. */
const PALETTE = [...schemeSet3, schemePastel1[6]];
/** A stage the dashboard does not know yet (added to the API later). */
export const UNKNOWN_STAGE_COLOUR = '#e0e0e0';

export function stageColour(stage: string): string {
  const i = (STAGES as readonly string[]).indexOf(stage);
  return i < 0 ? UNKNOWN_STAGE_COLOUR : PALETTE[i];
}

export interface Segment extends ExplainStage {
  /** Where it starts and how long it is, in ms from the start of the search's timeline. */
  startMs: number;
  /** The same, in % of the scale. */
  startPct: number;
  widthPct: number;
}

export interface Lane {
  /** `dense`, `keyword`, `shared` (hybrid) or `search` (one lane). */
  name: string;
  segments: Segment[];
}

export interface Timeline {
  lanes: Lane[];
  /** The ms the full width stands for. */
  scaleMs: number;
}

/** The lanes of a hybrid search, top to bottom. */
const SIDE_LANES = ['dense', 'keyword'];

export function timeline(explain: Pick<SearchExplain, 'stages' | 'total_ms'>): Timeline {
  const hybrid = explain.stages.some((s) => s.side !== undefined);
  const ends = new Map<string, number>();
  let sidesStart: number | null = null;
  const placed: { lane: string; stage: ExplainStage; startMs: number }[] = [];
  for (const stage of explain.stages) {
    let lane: string;
    let start: number;
    if (stage.side === undefined) {
      // A shared stage waits for everything before it, the longer side included.
      lane = hybrid ? 'shared' : 'search';
      start = Math.max(0, ...ends.values());
    } else {
      lane = stage.side;
      // Both sides start where the shared stages before them ended.
      sidesStart ??= ends.get('shared') ?? 0;
      start = ends.get(lane) ?? sidesStart;
    }
    placed.push({ lane, stage, startMs: start });
    ends.set(lane, start + stage.ms);
  }
  const scaleMs = Math.max(explain.total_ms, ...ends.values(), 0);
  const pct = (ms: number) => (scaleMs > 0 ? (ms / scaleMs) * 100 : 0);
  const names = hybrid ? [...SIDE_LANES, ...[...new Set(placed.map((p) => p.lane))].filter((l) => !SIDE_LANES.includes(l) && l !== 'shared'), 'shared'] : ['search'];
  const lanes = names
    .map((name) => ({
      name,
      segments: placed.filter((p) => p.lane === name).map((p) => ({ ...p.stage, startMs: p.startMs, startPct: pct(p.startMs), widthPct: pct(p.stage.ms) })),
    }))
    .filter((l) => l.segments.length > 0);
  return { lanes, scaleMs };
}

/** A time in ms as the API gives it (to the microsecond), without trailing zeros. */
export function ms(n: number): string {
  return `${Number(n.toFixed(3))} ms`;
}

/** What a segment says on hover: its stage, side, time and candidates. */
export function segmentTitle(s: ExplainStage): string {
  return `${s.stage}${s.side ? ` (${s.side})` : ''}: ${ms(s.ms)}${s.candidates !== undefined ? `, ${s.candidates.toLocaleString('en-US')} candidate${s.candidates === 1 ? '' : 's'}` : ''}`;
}
