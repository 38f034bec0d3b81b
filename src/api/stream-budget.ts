/**
 * Long-lived connections per API key, counted together for WebSockets and Server-Sent Events
 * streams (VECTRA_WS_MAX_CONNECTIONS_PER_KEY): each holds a socket, a follower and a bus
 * queue, so a key may not open them without bound by switching from one kind to the other.
 */
export class StreamBudget {
  private readonly perKey = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Take a place for this key; false when it already holds `max`. */
  take(keyId: string): boolean {
    const n = this.perKey.get(keyId) ?? 0;
    if (n >= this.max) return false;
    this.perKey.set(keyId, n + 1);
    return true;
  }

  release(keyId: string): void {
    const n = (this.perKey.get(keyId) ?? 1) - 1;
    if (n <= 0) this.perKey.delete(keyId);
    else this.perKey.set(keyId, n);
  }

  held(keyId: string): number {
    return this.perKey.get(keyId) ?? 0;
  }
}
