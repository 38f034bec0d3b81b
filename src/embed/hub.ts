/**
 * Can this server reach the Hugging Face hub (or the mirror VECTRA_MODEL_HUB names)? Asked
 * only when a transformer model has no local files and downloads are on: one HEAD request with
 * a short timeout, the answer remembered for a while, so neither startup (which never asks)
 * nor a request waits long on a slow or absent network.
 */

export interface HubReach {
  reachable: boolean;
  /** Why not, when not ("getaddrinfo ENOTFOUND huggingface.co", "no answer within 2000 ms"). */
  why?: string;
}

export interface HubProbeOptions {
  /** Longest wait for an answer. */
  timeoutMs: number;
  /** How long a "reachable" answer is trusted. */
  reachableTtlMs: number;
  /** How long an "unreachable" answer is trusted (shorter: the network may come back). */
  unreachableTtlMs: number;
  now: () => number;
}

const DEFAULTS: HubProbeOptions = { timeoutMs: 2000, reachableTtlMs: 10 * 60_000, unreachableTtlMs: 60_000, now: Date.now };

export class HubProbe {
  private last: { at: number; reach: HubReach } | null = null;
  private running: Promise<HubReach> | null = null;
  private readonly o: HubProbeOptions;

  constructor(readonly url: string, options: Partial<HubProbeOptions> = {}) {
    this.o = { ...DEFAULTS, ...options };
  }

  /** The remembered answer while it is fresh; otherwise one probe (shared by concurrent callers). */
  reach(): Promise<HubReach> {
    if (this.last) {
      const ttl = this.last.reach.reachable ? this.o.reachableTtlMs : this.o.unreachableTtlMs;
      if (this.o.now() - this.last.at < ttl) return Promise.resolve(this.last.reach);
    }
    this.running ??= this.probe().then((reach) => {
      this.last = { at: this.o.now(), reach };
      this.running = null;
      return reach;
    });
    return this.running;
  }

  private async probe(): Promise<HubReach> {
    try {
      // Any answer below 500 means the host is there (its root may redirect or refuse HEAD).
      const res = await fetch(this.url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(this.o.timeoutMs) });
      await res.body?.cancel();
      return res.status < 500 ? { reachable: true } : { reachable: false, why: `it answered HTTP ${res.status}` };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError') return { reachable: false, why: `no answer within ${this.o.timeoutMs} ms` };
      return { reachable: false, why: err.cause?.message ?? err.cause?.code ?? err.message };
    }
  }
}

const probes = new Map<string, HubProbe>();

/** The one probe of a hub URL in this process: every model asking about the same hub shares its answer. */
export function hubProbe(url: string): HubProbe {
  let p = probes.get(url);
  if (!p) {
    p = new HubProbe(url);
    probes.set(url, p);
  }
  return p;
}
