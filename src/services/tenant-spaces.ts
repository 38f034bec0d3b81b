/**
 * Each tenant's collections live in their own engine Database under
 * DATA_DIR/tenants/<tenantId>/: isolation on disk follows from the path, and every lookup
 * goes through the authenticated tenant's own Database, so another tenant's collection is
 * simply not there (404, never 403).
 */
import { join } from 'node:path';
import { Database, type ChangeBatch, type DatabaseOptions, type IndexBuilt } from '../engine/index.js';

export interface TenantListener {
  onChange?: (tenantId: string, collection: string, batch: ChangeBatch) => void;
  onIndexBuilt?: (tenantId: string, collection: string, built: IndexBuilt) => void;
}

export class TenantSpaces {
  private readonly spaces = new Map<string, Database>();

  constructor(
    private readonly dataDir: string,
    private readonly options: Omit<DatabaseOptions, 'onChange' | 'onIndexBuilt'>,
    /** Told of every committed write and every adopted index build, with its tenant and collection. */
    private readonly listener: TenantListener = {},
  ) {}

  /** The tenant's database, opened on first use. */
  of(tenantId: string): Database {
    let db = this.spaces.get(tenantId);
    if (!db) {
      const { onChange, onIndexBuilt } = this.listener;
      db = Database.open(join(this.dataDir, 'tenants', tenantId), {
        ...this.options,
        ...(onChange ? { onChange: (name: string, batch: ChangeBatch) => onChange(tenantId, name, batch) } : {}),
        ...(onIndexBuilt ? { onIndexBuilt: (name: string, built: IndexBuilt) => onIndexBuilt(tenantId, name, built) } : {}),
      });
      this.spaces.set(tenantId, db);
    }
    return db;
  }

  /** Open every known tenant now; resolves when all their collections are loaded. */
  async openAll(tenantIds: string[]): Promise<void> {
    await Promise.all(tenantIds.map((id) => this.of(id).ready));
  }

  all(): Database[] {
    return [...this.spaces.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((db) => db.close()));
    this.spaces.clear();
  }
}
