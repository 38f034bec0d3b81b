/**
 * Recording a collection's searches and replaying them (docs/insights.md, "Explain and
 * replay"): the routes' use cases over the SearchRecorder, and the diff of a recorded answer
 * with today's.
 */
import { VectraError } from '../../errors.js';
import type { CollectionService } from '../collections.js';
import type { SearchAnswer, SearchExplain, SearchService } from '../search.js';
import { DEFAULT_RECORDING_SIZE, MAX_RECORDING_SIZE, type RecordedSearch, type RecordingState, type SearchRecorder } from './recording.js';

export interface ScoredId {
  id: string;
  score: number;
}

/** Scores closer than this count as unchanged (a recomputed float32 score may differ in its last bits). */
export const SCORE_EPSILON = 1e-6;

export interface RankingDiff {
  /** In today's answer, not in the recorded one: its rank (1-based) and score today. */
  added: { id: string; rank: number; score: number }[];
  /** In the recorded answer, not today: its rank and score then. */
  removed: { id: string; rank: number; score: number }[];
  /** In both, at another rank. */
  moved: { id: string; from: number; to: number }[];
  /** In both, with a score that changed by more than SCORE_EPSILON (the record, or the model, changed). */
  scoreChanges: { id: string; from: number; to: number; delta: number }[];
}

export interface Replay {
  id: string;
  request: RecordedSearch['request'];
  vectorElided?: number;
  then: { at: string; plan: string; took_ms: number; results: ScoredId[] };
  now: { at: string; plan: string; took_ms: number; results: ScoredId[]; explain?: SearchExplain };
  diff: RankingDiff;
  /** Ids in both answers over the longer answer's length (1 when both are empty). */
  overlap: number;
  /** The same ids in the same order with the same scores. */
  unchanged: boolean;
}

/** What changed from the ranking `then` to the ranking `now` (both best first). */
export function diffRankings(then: ScoredId[], now: ScoredId[]): { diff: RankingDiff; overlap: number; unchanged: boolean } {
  const before = new Map(then.map((h, i) => [h.id, { rank: i + 1, score: h.score }]));
  const after = new Map(now.map((h, i) => [h.id, { rank: i + 1, score: h.score }]));
  const diff: RankingDiff = { added: [], removed: [], moved: [], scoreChanges: [] };
  now.forEach((h, i) => {
    const was = before.get(h.id);
    if (!was) return diff.added.push({ id: h.id, rank: i + 1, score: h.score });
    if (was.rank !== i + 1) diff.moved.push({ id: h.id, from: was.rank, to: i + 1 });
    if (Math.abs(was.score - h.score) > SCORE_EPSILON) diff.scoreChanges.push({ id: h.id, from: was.score, to: h.score, delta: h.score - was.score });
  });
  then.forEach((h, i) => {
    if (!after.has(h.id)) diff.removed.push({ id: h.id, rank: i + 1, score: h.score });
  });
  const common = now.length - diff.added.length;
  const longest = Math.max(then.length, now.length);
  const overlap = longest === 0 ? 1 : common / longest;
  const unchanged = then.length === now.length && diff.added.length === 0 && diff.moved.length === 0 && diff.scoreChanges.length === 0;
  return { diff, overlap, unchanged };
}

function scored(answer: SearchAnswer): ScoredId[] {
  return answer.results.map((h) => ({ id: h.id, score: h.score }));
}

export class SearchRecordings {
  constructor(
    private readonly collections: CollectionService,
    private readonly search: SearchService,
    private readonly recorder: SearchRecorder,
  ) {}

  configure(tenantId: string, name: string, opts: { enabled?: boolean; size?: number }): RecordingState {
    if (opts.size !== undefined && (!Number.isInteger(opts.size) || opts.size < 1 || opts.size > MAX_RECORDING_SIZE)) {
      throw new VectraError('INVALID_ARGUMENT', `size must be an integer from 1 to ${MAX_RECORDING_SIZE} (searches kept; default ${DEFAULT_RECORDING_SIZE})`);
    }
    if (opts.enabled === undefined && opts.size === undefined) throw new VectraError('INVALID_ARGUMENT', 'give "enabled" (true or false) and/or "size"');
    return this.recorder.configure(this.collections.get(tenantId, name), opts);
  }

  state(tenantId: string, name: string): RecordingState {
    return this.recorder.state(this.collections.get(tenantId, name));
  }

  list(tenantId: string, name: string, opts: { limit?: number; vectors?: boolean } = {}): RecordedSearch[] {
    const limit = opts.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECORDING_SIZE) throw new VectraError('INVALID_ARGUMENT', `limit must be an integer from 1 to ${MAX_RECORDING_SIZE}`);
    return this.recorder.list(this.collections.get(tenantId, name), limit, opts.vectors ?? false);
  }

  clear(tenantId: string, name: string): void {
    this.recorder.clear(this.collections.get(tenantId, name));
  }

  /**
   * The latest `limit` recorded searches of a collection, newest first, with their full bodies
   * (vectors as numbers): the query mix, for index advice.
   */
  recent(tenantId: string, name: string, limit = DEFAULT_RECORDING_SIZE): RecordedSearch[] {
    return this.recorder.list(this.collections.get(tenantId, name), Math.min(Math.max(1, limit), MAX_RECORDING_SIZE), true);
  }

  /** Run a recorded search again on today's data (not recorded itself) and say what changed. */
  async replay(tenantId: string, name: string, id: string, opts: { explain?: boolean } = {}): Promise<Replay> {
    const c = this.collections.get(tenantId, name);
    const recorded = this.recorder.get(c, id);
    if (!recorded) throw new VectraError('SEARCH_NOT_FOUND', `no recorded search "${id}" in collection "${name}"; GET /v1/collections/${name}/searches lists them (the ring keeps the latest ${this.recorder.state(c).size})`);
    const { entry, body } = recorded;
    const at = new Date().toISOString();
    const answer = await this.search.search(tenantId, name, { ...body, ...(opts.explain ? { explain: true } : {}) }, { record: false });
    const then = entry.results;
    const now = scored(answer);
    return {
      id: entry.id,
      request: entry.request,
      ...(entry.vectorElided === undefined ? {} : { vectorElided: entry.vectorElided }),
      then: { at: entry.at, plan: entry.plan, took_ms: entry.took_ms, results: then },
      now: { at, plan: answer.plan, took_ms: answer.took_ms, results: now, ...(answer.explain ? { explain: answer.explain } : {}) },
      ...diffRankings(then, now),
    };
  }
}
