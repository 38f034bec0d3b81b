/** What a text is embedded for: some models (e5, nomic) prefix queries and passages differently. */
export type EmbedPurpose = 'query' | 'document';

export interface EmbedOptions {
  /** Use and fill the pool's LRU cache (default true); a benchmark turns it off to time the model. */
  cache?: boolean;
}

/** Whether a model can run here; `reason` (when it cannot) says what stops it and what to do. */
export interface Availability {
  available: boolean;
  reason?: string;
}

/** One embedding model behind one interface, whatever runs it (built-in, ONNX, remote). */
export interface EmbeddingModel {
  readonly id: string;
  readonly dimension: number;
  readonly provider: string;
  readonly description: string;
  /**
   * Whether the model can embed here (files present or downloadable, provider configured),
   * and if not, what to do about it. Cheap: a network check, if any, is short and remembered.
   */
  availability(): Promise<Availability>;
  /** Load what the model needs so the first request does not wait (optional; safe to call many times). */
  warm?(): Promise<void>;
  /** L2-normalized vectors, one per text. Rejects with MODEL_UNAVAILABLE when it cannot run. */
  embed(texts: string[], purpose: EmbedPurpose, options?: EmbedOptions): Promise<Float32Array[]>;
}
