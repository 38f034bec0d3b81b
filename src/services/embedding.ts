/**
 * The one embedding path: which model a collection embeds with, texts and queries turned into
 * vectors by it, and what a collection without a model ("none": the caller sends vectors)
 * answers instead. Services and routes embed through here, never through the model registry.
 */
import type { Collection } from '../engine/index.js';
import type { ModelRegistry } from '../embed/registry.js';
import type { Reranker } from '../embed/rerank.js';
import { VectraError } from '../errors.js';
import { FIELD_NAMER_MODEL, type Embed } from './query-parse.js';

/** The model of a collection that takes vectors only. */
export const NO_MODEL = 'none';

/** What to send instead of text, by where the text was sent, when the collection has no model. */
const WITHOUT_MODEL = {
  record: `this collection has no model ("none"); send "vector"`,
  document: `this collection has no model ("none"): documents are embedded by the collection's model; send records with vectors instead`,
  query: `this collection has no model ("none"): search with "vector"`,
} as const;

/** The model a collection was created with, or "none". */
export function modelOf(c: Collection): string {
  return String(c.config.attributes.model ?? NO_MODEL);
}

/** Why a record without a vector cannot get one (no text, nothing in it to embed, or no model), or null. */
export function vectorSourceProblem(record: { text?: unknown; vector?: unknown }, modelId: string): string | null {
  if (record.vector !== undefined) return null;
  if (typeof record.text !== 'string') return 'needs "text" (embedded by the collection\'s model) or "vector"';
  if (modelId === NO_MODEL) return WITHOUT_MODEL.record;
  // Like an empty search text: there is nothing to embed, and its vector could never be found.
  if (record.text.trim() === '') return `"text" is ${record.text === '' ? 'empty' : 'only whitespace'}: there is nothing to embed; send text with words, or a "vector"`;
  return null;
}

export function isZeroVector(vector: ArrayLike<number>): boolean {
  for (let i = 0; i < vector.length; i++) if (vector[i] !== 0) return false;
  return true;
}

/**
 * Why an embedded record text cannot be stored, or null: its vector is all zeros (the built-in
 * models give that to text without a word they know, such as punctuation alone), and a zero
 * vector has no direction: no search by similarity would ever find the record.
 */
export function zeroVectorProblem(vector: Float32Array, modelId: string): string | null {
  if (!isZeroVector(vector)) return null;
  return `model "${modelId}" finds nothing to embed in "text" (no word it knows: punctuation or symbols alone?), so its vector would be all zeros, which no search can find; send text with words, or a "vector"`;
}

export interface ModelInfo {
  id: string;
  dimension: number;
  provider: string;
  description: string;
  default?: true;
  available: boolean;
  /** When not available: what stops it and what to do. */
  reason?: string;
}

export interface RerankerInfo {
  id: string;
  provider: string;
  description: string;
  available: boolean;
  reason?: string;
}

export class EmbeddingService {
  constructor(
    private readonly models: ModelRegistry,
    private readonly rerankers: Map<string, Reranker> = new Map(),
  ) {}

  /** The embedding models and rerankers this server offers, each with whether it can run here (and if not, why). */
  async catalog(): Promise<{ models: ModelInfo[]; rerankers: RerankerInfo[] }> {
    const [models, rerankers] = await Promise.all([
      Promise.all(this.models.list().map(async (m) => ({ id: m.id, dimension: m.dimension, provider: m.provider, description: m.description, ...(await m.availability()), ...(m.id === this.models.defaultId ? { default: true as const } : {}) }))),
      Promise.all([...this.rerankers.values()].map(async (r) => ({ id: r.id, provider: r.provider, description: r.description, ...(await r.availability()) }))),
    ]);
    return { models, rerankers };
  }

  /**
   * The model and dimension of a new collection: the default model unless one is named; the
   * model's own dimension (a given one must match it); with "none", the given dimension. A model
   * that cannot run here is refused now (MODEL_UNAVAILABLE, saying what to do), not at the first write.
   */
  async modelForNew(model: string | undefined, dimension: number | undefined): Promise<{ model: string; dimension: number }> {
    const modelId = model ?? this.models.defaultId;
    if (modelId === NO_MODEL) {
      if (dimension === undefined) throw new VectraError('INVALID_COLLECTION_CONFIG', 'dimension is required when model is "none" (you will send vectors yourself)');
      return { model: modelId, dimension };
    }
    const m = this.models.get(modelId);
    if (dimension !== undefined && dimension !== m.dimension) {
      // No model named: most likely a collection of the caller's own vectors was meant.
      const hint = model === undefined ? `; to store your own ${dimension}-dimensional vectors, add "model": "none"` : '';
      throw new VectraError('INVALID_COLLECTION_CONFIG', `${model === undefined ? 'the default model' : 'model'} "${modelId}" makes ${m.dimension}-dimensional vectors; omit dimension or set it to ${m.dimension}${hint}`);
    }
    await this.models.usable(modelId);
    return { model: modelId, dimension: m.dimension };
  }

  /** Start loading the models these collections use; resolves when they are loaded (models load on first use anyway). */
  warm(collections: Iterable<Collection>): Promise<void> {
    return this.models.warm([...collections].map(modelOf));
  }

  /** The collection's model, or INVALID_ARGUMENT saying what to send instead of text there. */
  expectModel(c: Collection, use: 'document' | 'query'): string {
    const modelId = modelOf(c);
    if (modelId === NO_MODEL) throw new VectraError('INVALID_ARGUMENT', WITHOUT_MODEL[use]);
    return modelId;
  }

  /** Vectors for texts to store, by the collection's model (MODEL_UNAVAILABLE if the server no longer has it). */
  async embedDocuments(c: Collection, texts: string[]): Promise<Float32Array[]> {
    return (await this.models.require(this.expectModel(c, 'document'))).embed(texts, 'document');
  }

  /** The vector of a search text, by the collection's model. */
  async embedQuery(c: Collection, text: string): Promise<Float32Array> {
    const [vector] = await (await this.models.require(this.expectModel(c, 'query'))).embed([text], 'query');
    return vector;
  }

  /**
   * What compares field names with query words ("parse"): the built-in model its threshold is
   * set for (local, free), else the collection's own.
   */
  async fieldNamer(c: Collection): Promise<Embed> {
    const named = this.models.list().find((m) => m.id === FIELD_NAMER_MODEL);
    const builtin = named && (await named.availability()).available ? named : undefined;
    const own = modelOf(c);
    if (!builtin && own === NO_MODEL) throw new VectraError('MODEL_UNAVAILABLE', '"parse" needs an embedding model to compare field names, and none is available');
    const model = builtin ?? (await this.models.require(own));
    return (texts) => model.embed(texts, 'document');
  }

  /** Texts embedded as documents by a named model (default: the server's default), not stored; `dimensions`, if given, must be the model's. */
  async embedTexts(texts: string[], modelId = this.models.defaultId, dimensions?: number): Promise<{ model: string; dimension: number; vectors: Float32Array[] }> {
    const model = this.models.get(modelId);
    if (dimensions !== undefined && dimensions !== model.dimension) {
      throw new VectraError('INVALID_ARGUMENT', `model "${model.id}" makes ${model.dimension}-dimensional vectors; it cannot shorten them`);
    }
    return { model: model.id, dimension: model.dimension, vectors: await model.embed(texts, 'document') };
  }
}
