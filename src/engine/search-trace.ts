/**
 * What a search did, for a caller who asks (`explain`): the plan and why it was chosen, each
 * stage's time and the candidates it passed on, the graph's work. The planner fills the trace a
 * request carries; a request without one gets NO_TRACE, whose methods do nothing (not even read
 * the clock), so searches that do not ask pay one call per stage and nothing else.
 */
import type { SearchPlan } from './types.js';

/** The stages a search can run, in words: docs/insights.md ("Explain and replay"). */
export type TraceStage = 'parse' | 'embed' | 'filter' | 'graph' | 'scan' | 'tail' | 'rescore' | 'keyword' | 'fetch' | 'fusion' | 'rerank' | 'highlight' | 'group';

export type TraceSide = 'dense' | 'keyword';

export interface StageTime {
  stage: TraceStage;
  /** Hybrid searches: the side that ran it. */
  side?: TraceSide;
  /** Summed over every time the stage ran (a widening graph walk runs `graph` and `filter` once per round). */
  ms: number;
  /** What the stage passed on, the last time it ran: candidates found, passed, ranked, hits fetched. */
  candidates?: number;
}

/** How a filter's selectivity was estimated: matches counted through the `fields` index, up to `threshold + 1`. */
export interface FilterEstimate {
  /** Matches counted; when `exact` is false, counting stopped here (there are at least this many). */
  matches: number;
  exact: boolean;
  /** At most this many matches are ranked by an exact scan of them; more: the graph is walked. */
  threshold: number;
  /** The rule the threshold follows, in words. */
  rule: string;
  /** Records in the collection. */
  total: number;
  /** matches / total (a lower bound when not exact). */
  selectivity: number;
}

/** One round of a filtered graph walk: the breadth searched, candidates found, checked so far and passed so far. */
export interface WideningRound {
  breadth: number;
  found: number;
  checked: number;
  passed: number;
}

/**
 * The graph's work. usearch's JavaScript binding (2.25.3, javascript/lib.cpp) returns keys,
 * distances and counts only: the native search's visited-node and distance counters stay
 * inside, so `visited` and `distances` are null and the breadth asked for is what is known.
 */
export interface GraphWork {
  /** Graph searches run (more than one: a filtered walk widened). */
  searches: number;
  /** Candidates kept while walking (ef) in the last search. */
  breadth: number;
  /** Candidates the last search returned. */
  returned: number;
  visited: null;
  distances: null;
  note: string;
}

export const GRAPH_WORK_NOTE =
  "usearch's JavaScript binding (2.25.3) returns only keys, distances and counts: the native search's visited nodes and distance computations are not exposed, so the breadth asked for (ef) and the candidates returned are reported instead";

export interface PlanTrace {
  /** The engine's plan, or "hybrid" (the service's fusion of a dense and a keyword search). */
  plan: SearchPlan | 'hybrid';
  /** Why this plan, in words, with the figures that decided it. */
  reason: string;
  filter?: FilterEstimate;
  rounds?: WideningRound[];
  graph?: GraphWork;
  /** What else happened that changes the reading (a fallback to an exact scan). */
  notes?: string[];
}

export class SearchTrace {
  /** False only for NO_TRACE: guards work done just for the explanation (building reasons). */
  readonly on: boolean = true;
  /** Filled by the planner (the dense or keyword search it ran). */
  plan: PlanTrace | undefined;
  /** Hybrid searches: each side's own trace (see `child`). */
  readonly sides: Partial<Record<TraceSide, SearchTrace>> = {};
  private readonly pendingNotes: string[] = [];

  constructor(
    private readonly timeline: StageTime[] = [],
    readonly side?: TraceSide,
  ) {}

  /** A time to pass to `end`. */
  start(): number {
    return performance.now();
  }

  /** Adds the time since `since` to `stage` (this trace's side), and what it passed on. */
  end(stage: TraceStage, since: number, candidates?: number): void {
    const ms = performance.now() - since;
    const s = this.timeline.find((x) => x.stage === stage && x.side === this.side);
    if (s) {
      s.ms += ms;
      if (candidates !== undefined) s.candidates = candidates;
      return;
    }
    const entry: StageTime = this.side ? { stage, side: this.side, ms } : { stage, ms };
    if (candidates !== undefined) entry.candidates = candidates;
    this.timeline.push(entry);
  }

  /** Something that changes how the plan reads (added to the plan's notes once it is set). */
  note(text: string): void {
    this.pendingNotes.push(text);
  }

  /** Sets the plan's explanation, with the notes taken so far. */
  setPlan(p: PlanTrace): void {
    this.plan = this.pendingNotes.length > 0 ? { ...p, notes: [...(p.notes ?? []), ...this.pendingNotes] } : p;
  }

  /** A trace for one side of a hybrid search: its stages go into this trace's timeline, tagged with the side. */
  child(side: TraceSide): SearchTrace {
    return (this.sides[side] = new SearchTrace(this.timeline, side));
  }

  /** The stages in the order they first ran. */
  stages(): StageTime[] {
    return this.timeline;
  }
}

class NoTrace extends SearchTrace {
  override readonly on = false;
  override start(): number {
    return 0;
  }
  override end(): void {}
  override note(): void {}
  override setPlan(): void {}
  override child(): SearchTrace {
    return this;
  }
}

/** The trace of a search nobody asked to explain: records nothing. */
export const NO_TRACE: SearchTrace = new NoTrace();

/** The graph's work for `searches` searches, the last one `breadth` wide, returning `returned`. */
export function graphWork(searches: number, breadth: number, returned: number): GraphWork {
  return { searches, breadth, returned, visited: null, distances: null, note: GRAPH_WORK_NOTE };
}
