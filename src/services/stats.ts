/**
 * Data figures, computed when asked: totals across all tenants for the operator's metrics
 * (never broken down by tenant: that would reveal them), and one tenant's own, for that tenant.
 */
import type { CollectionStats, Database } from '../engine/index.js';
import type { Accounts } from './accounts.js';
import type { TenantSpaces } from './tenant-spaces.js';

type Figure = keyof Pick<CollectionStats, 'count' | 'indexBytes' | 'diskBytes'>;

function sum(db: Database, figure: Figure): number {
  return db.collections().reduce((t, [, c]) => t + c.stats()[figure], 0);
}

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
  total(figure: Figure): number {
    return this.spaces.all().reduce((t, db) => t + sum(db, figure), 0);
  }

  /** This tenant's collections and the sums of their records, disk and index memory: nothing of anyone else's. */
  ofTenant(tenantId: string): { collections: number; records: number; diskBytes: number; indexBytes: number } {
    const db = this.spaces.of(tenantId);
    return { collections: db.collections().length, records: sum(db, 'count'), diskBytes: sum(db, 'diskBytes'), indexBytes: sum(db, 'indexBytes') };
  }
}
