/** A WebSocket client for /v1/ws tests: collects every message, sends requests, waits for answers. */
import WebSocket from 'ws';

export type Msg = Record<string, any>;

/** A client that collects every message and can wait for one matching a predicate. */
export class Client {
  readonly messages: Msg[] = [];
  private waiters: { test: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private next = 1;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.test(m) ? (w.resolve(m), false) : true));
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(base: string, headers: Record<string, string> = {}): Promise<Client> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/ws`, { headers });
    const c = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return c;
  }

  wait(test: (m: Msg) => boolean, ms = 10_000): Promise<Msg> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message in ${ms} ms; got ${JSON.stringify(this.messages.slice(-3))}`)), ms);
      this.waiters.push({ test, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Send a request with a fresh id and wait for its answer. */
  async request(action: string, collection?: string, body?: unknown): Promise<Msg> {
    const id = `r${this.next++}`;
    this.send({ id, action, collection, body });
    return this.wait((m) => m.id === id);
  }

  changes(collection: string): Msg[] {
    return this.messages.filter((m) => m.type === 'change' && m.collection === collection).map((m) => m.change);
  }
}
