/**
 * Each tenant's collections live in their own engine Database under
 * DATA_DIR/tenants/<tenantId>/: isolation on disk follows from the path, and every lookup
 * goes through the authenticated tenant's own Database, so another tenant's collection is
 * simply not there (404, never 403).
 */
import { join } from 'node:path';
import { Database, type ChangeBatch, type DatabaseOptions } from '../engine/index.js';

export class TenantSpaces {
  private readonly spaces = new Map<string, Database>();

  constructor(
    private readonly dataDir: string,
    private readonly options: Omit<DatabaseOptions, 'onChange'>,
    /** Told of every committed write, with its tenant and collection. */
    private readonly onChange?: (tenantId: string, collection: string, batch: ChangeBatch) => void,
  ) {}

  /** The tenant's database, opened on first use. */
  of(tenantId: string): Database {
    let db = this.spaces.get(tenantId);
    if (!db) {
      const onChange = this.onChange;
      db = Database.open(join(this.dataDir, 'tenants', tenantId), onChange ? { ...this.options, onChange: (name, batch) => onChange(tenantId, name, batch) } : this.options);
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
