/**
 * Totals across all tenants, for the operator's metrics: computed when asked, and never per
 * tenant (that would reveal them).
 */
import type { CollectionStats } from '../engine/index.js';
import type { Accounts } from './accounts.js';
import type { TenantSpaces } from './tenant-spaces.js';

export class ServerStats {
  constructor(
    private readonly accounts: Accounts,
    private readonly spaces: TenantSpaces,
    /** Embedding worker threads running now (they start with the first text to embed). */
    readonly embedWorkers: () => number,
  ) {}

  tenants(): number {
    return this.accounts.tenants().length;
  }

  /** Open collections. */
  collections(): number {
    return this.spaces.all().reduce((t, db) => t + db.collections().length, 0);
  }

  /** One figure of every open collection's stats, summed: records (`count`), `indexBytes`, `diskBytes`. */
  total(figure: keyof Pick<CollectionStats, 'count' | 'indexBytes' | 'diskBytes'>): number {
    return this.spaces.all().reduce((t, db) => t + db.collections().reduce((u, [, c]) => u + c.stats()[figure], 0), 0);
  }
}
