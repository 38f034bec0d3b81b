/**
 * LangChain's QdrantVectorStore (@langchain/qdrant, on Qdrant's official client) against
 * Vectra's /qdrant: fromTexts creates the collection and adds documents, similarity search
 * (with scores and with a filter on the metadata LangChain stores), addDocuments with ids,
 * delete by ids and by filter, MMR search, and an existing collection reopened. The
 * embeddings are deterministic (hashed words), so every answer is checked against a
 * brute-force cosine ranking computed here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { Document } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import { QdrantVectorStore } from '@langchain/qdrant';
import { QdrantClient } from '@qdrant/js-client-rest';
import { register, testServer } from '../support/server.js';
import { uuidFor } from '../support/qdrant.js';

const DIM = 64;

/** Bag of hashed words, so texts sharing words are close. */
function embed(text: string): number[] {
  const v = new Array<number>(DIM).fill(0);
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) v[createHash('md5').update(w).digest()[0] % DIM] += 1;
  return v;
}

class HashedWords extends Embeddings {
  constructor() {
    super({});
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map(embed);
  }
  async embedQuery(text: string): Promise<number[]> {
    return embed(text);
  }
}

const cosine = (a: number[], b: number[]) => {
  const dot = a.reduce((s, x, i) => s + x * b[i], 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b) || 1);
};

const TEXTS = [
  'the cat sat on the warm mat',
  'a dog chased the cat around the garden',
  'interest rates rose again this quarter',
  'the central bank held interest rates',
  'fresh bread from the bakery every morning',
  'the bakery sells bread and cakes',
  'mountains covered in snow all winter',
  'skiing down snowy mountains in winter',
];
const META = TEXTS.map((_, i) => ({ source: i < 2 ? 'pets' : i < 4 ? 'finance' : i < 6 ? 'food' : 'travel', n: i }));

let client: QdrantClient;
let store: QdrantVectorStore;
const embeddings = new HashedWords();

/** The texts ranked for a query by brute force, best first. */
function ranked(query: string, texts: string[] = TEXTS): { text: string; score: number }[] {
  const q = embed(query);
  return texts.map((text) => ({ text, score: cosine(q, embed(text)) })).sort((a, b) => b.score - a.score);
}

before(async () => {
  const url = (await testServer({ VECTRA_RATE_LIMIT: '1000000' })).url;
  const { key } = await register(url, 'langchain');
  // The client's `url` keeps only scheme, host and port: the prefix goes in `prefix`, and LangChain takes the client.
  client = new QdrantClient({ url, prefix: '/qdrant', apiKey: key, checkCompatibility: false });
  store = await QdrantVectorStore.fromTexts(TEXTS, META, embeddings, { client, collectionName: 'lc_docs' });
});

describe('LangChain QdrantVectorStore on Vectra', () => {
  it('fromTexts made a Cosine collection of the embeddings\' size and stored content and metadata as Qdrant payload', async () => {
    const info = await client.getCollection('lc_docs');
    assert.deepEqual([info.points_count, info.config.params.vectors!.size, info.config.params.vectors!.distance], [TEXTS.length, DIM, 'Cosine']);
    const page = await client.scroll('lc_docs', { limit: 100 });
    const stored = page.points.map((p) => p.payload as { content: string; metadata: { n: number } }).sort((a, b) => a.metadata.n - b.metadata.n);
    assert.deepEqual(stored.map((p) => p.content), TEXTS);
  });

  it('similaritySearch returns what a brute-force cosine ranking returns, with its scores', async () => {
    for (const q of ['my cat on a mat', 'bank interest rates', 'bread bakery', 'snow in the mountains']) {
      const want = ranked(q).slice(0, 3);
      const got = await store.similaritySearchWithScore(q, 3);
      // Rank by rank the same scores (texts tied on a score may come in either order), each the text's own cosine.
      got.forEach(([d, score], i) => {
        assert.ok(Math.abs(score - want[i].score) < 1e-5, `${q}: rank ${i} scores ${score}, brute force ${want[i].score}`);
        assert.ok(Math.abs(score - cosine(embed(q), embed(d.pageContent))) < 1e-5, `${q}: ${d.pageContent}`);
        assert.equal(d.metadata.n, TEXTS.indexOf(d.pageContent));
        assert.equal(typeof d.id, 'string', 'the UUID LangChain gave');
      });
      assert.deepEqual((await store.similaritySearch(q, 1))[0].pageContent, want[0].text);
    }
  });

  it('a filter on the metadata LangChain stores (metadata.source) narrows the search', async () => {
    const filter = { must: [{ key: 'metadata.source', match: { value: 'food' } }] };
    const got = await store.similaritySearch('the cat sat', 4, filter);
    assert.deepEqual(got.map((d) => d.pageContent).sort(), [TEXTS[4], TEXTS[5]].sort());
    const range = { must: [{ key: 'metadata.n', range: { gte: 6 } }] };
    assert.deepEqual((await store.similaritySearch('bread', 8, range)).map((d) => d.metadata.n).sort(), [6, 7]);
  });

  it('addDocuments with ids, then delete by ids and by filter', async () => {
    const ids = [uuidFor('lc-1'), uuidFor('lc-2')];
    await store.addDocuments([new Document({ pageContent: 'cats and dogs are pets', metadata: { source: 'pets', n: 100 } }), new Document({ pageContent: 'stock markets fell', metadata: { source: 'finance', n: 101 } })], { ids });
    assert.equal((await client.count('lc_docs')).count, TEXTS.length + 2);
    const top = await store.similaritySearch('cats and dogs are pets', 1);
    assert.deepEqual([top[0].id, top[0].metadata.n], [ids[0], 100]);
    await store.delete({ ids: [ids[0]] });
    assert.notEqual((await store.similaritySearch('cats and dogs are pets', 1))[0].id, ids[0]);
    await store.delete({ filter: { must: [{ key: 'metadata.source', match: { value: 'finance' } }] } });
    assert.equal((await client.count('lc_docs')).count, TEXTS.length - 2);
    assert.ok((await store.similaritySearch('interest rates', 8)).every((d) => d.metadata.source !== 'finance'));
  });

  it('maxMarginalRelevanceSearch (Qdrant\'s MMR) returns k documents, the most relevant first', async () => {
    const docs = await store.maxMarginalRelevanceSearch('winter snow mountains skiing', { k: 3, fetchK: 6, lambda: 0.5 });
    assert.equal(docs.length, 3);
    assert.equal(docs[0].pageContent, ranked('winter snow mountains skiing')[0].text);
    assert.equal(new Set(docs.map((d) => d.pageContent)).size, 3);
  });

  it('fromExistingCollection reopens it without creating anything', async () => {
    const again = await QdrantVectorStore.fromExistingCollection(embeddings, { client, collectionName: 'lc_docs' });
    assert.equal((await again.similaritySearch('fresh bread', 1))[0].pageContent, ranked('fresh bread')[0].text);
    assert.equal((await client.getCollections()).collections.filter((c) => c.name === 'lc_docs').length, 1);
  });
});
