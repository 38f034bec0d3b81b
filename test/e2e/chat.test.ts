/**
 * Chat over a real server with the built-in model and no LLM (the extractive generator):
 * answers cite the chunk that holds them; a question the documents do not answer is not
 * answered from them; the stream's order (citations, deltas, done) and that the deltas make
 * the answer; conversations stored, followed up, listed and deleted; other tenants see none.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { call, register, testServer } from '../support/server.js';
import { docxFile, pdfFile } from '../support/document-files.js';

const DOCS = [
  { id: 'espresso', title: 'Espresso machine manual', text: '# Espresso machine\n## Cleaning\nDescale the espresso machine every month with citric acid. Rinse the water tank afterwards.\n## Warranty\nThe warranty covers the pump for two years. Damage from limescale is not covered.' },
  { id: 'bike', title: 'City bike sheet', text: '# City bike\nThe city bike has seven gears and a hub dynamo. Its frame is aluminium and weighs twelve kilograms.\n## Price\nThe bike costs 649 euros, with a lock included.' },
];

async function setup(name: string) {
  const s = await testServer();
  const { key } = await register(s.url, name);
  await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'kb' } });
  for (const d of DOCS) assert.equal((await call(s.url, 'POST', '/v1/collections/kb/documents', { key, body: { id: d.id, text: d.text, format: 'markdown', metadata: { title: d.title } } })).status, 200);
  const ask = (body: Record<string, unknown>, k = key) => call(s.url, 'POST', '/v1/chat', { key: k, body: { collection: 'kb', ...body } });
  return { s, key, ask };
}

describe('chat (extractive, no LLM)', () => {
  it('answers from the chunk that holds the answer, with [n] markers that map to citations', async () => {
    const { s, key, ask } = await setup('chat-answers');
    assert.deepEqual((await call(s.url, 'GET', '/v1/llms', { key })).body, { llms: [{ id: 'extractive', provider: 'builtin', default: true, available: true }] });
    const cases: [string, string, string][] = [
      ['How often should I descale the espresso machine?', 'espresso#0', 'every month'],
      ['Is limescale damage covered by the warranty?', 'espresso#1', 'not covered'],
      ['How much does the bike weigh?', 'bike#0', 'twelve kilograms'],
    ];
    for (const [question, chunk, words] of cases) {
      const r = await ask({ messages: [{ role: 'user', content: question }] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.llm, 'extractive');
      assert.equal(r.body.grounded, true, question);
      assert.ok(r.body.answer.includes(words), `${question} → ${r.body.answer}`);
      const markers = [...r.body.answer.matchAll(/\[(\d+)\]/g)].map((m: RegExpMatchArray) => Number(m[1]));
      assert.ok(markers.length > 0);
      assert.deepEqual([...new Set(markers)].sort(), r.body.citations.map((c: any) => c.n).sort(), 'every marker has its citation, and only those');
      const cited = r.body.citations.find((c: any) => c.id === chunk);
      assert.ok(cited, `${question}: cites ${chunk} (got ${r.body.citations.map((c: any) => c.id)})`);
      assert.equal(cited.document, chunk.split('#')[0]);
      assert.equal(cited.title, DOCS.find((d) => d.id === cited.document)!.title);
      assert.equal(cited.collection, 'kb');
      assert.ok(cited.text.includes(words));
    }
    const none = await ask({ messages: [{ role: 'user', content: 'What is the capital of Peru?' }] });
    assert.deepEqual([none.body.grounded, none.body.answer, none.body.citations], [false, 'The sources found do not answer this question.', []]);
  });

  it('reranks the passages when asked (MMR or a cross-encoder), refusing an unknown reranker', async () => {
    const { ask } = await setup('chat-rerank');
    const r = await ask({ rerank: { type: 'mmr', lambda: 0.7 }, messages: [{ role: 'user', content: 'Is limescale damage covered by the warranty?' }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.citations[0].id, 'espresso#1');
    const bad = await ask({ rerank: { type: 'cross-encoder', model: 'no-such-reranker' }, messages: [{ role: 'user', content: 'Is limescale damage covered?' }] });
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'MODEL_NOT_FOUND']);
  });

  it('answers from uploaded PDF and DOCX files: the citation points at the page or section holding the answer', async () => {
    const { s, key } = await setup('chat-files');
    const upload = async (bytes: Buffer, filename: string, id: string) => {
      const form = new FormData();
      form.append('file', new Blob([bytes]), filename);
      form.append('id', id);
      const res = await fetch(`${s.url}/v1/collections/kb/documents/upload`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
      assert.equal(res.status, 201, await res.clone().text());
      return res.json();
    };
    await upload(
      pdfFile([
        'Ferry timetable\nThe morning ferry leaves the harbour at seven fifteen.\nTickets are sold on board.',
        'Luggage rules\nEach passenger may bring two suitcases and one bicycle.\nDogs travel free on a leash.',
        'Winter service\nFrom December to March the evening ferry does not run.',
      ]),
      'ferry.pdf',
      'ferry',
    );
    await upload(
      docxFile([
        ['Heading1', 'Greenhouse guide'],
        ['Heading2', 'Watering'],
        [null, 'Water the tomato seedlings every second morning with rainwater.'],
        ['Heading2', 'Heating'],
        [null, 'Keep the greenhouse above eight degrees at night with a paraffin heater.'],
      ]),
      'greenhouse.docx',
      'greenhouse',
    );
    const cases: [string, string, (c: any) => boolean, string][] = [
      ['How many suitcases may each passenger bring on the ferry?', 'two suitcases', (c) => c.document === 'ferry' && c.text.includes('suitcases'), 'page 2'],
      ['Does the evening ferry run in winter?', 'does not run', (c) => c.document === 'ferry' && c.text.includes('December'), 'page 3'],
      ['How often should I water the tomato seedlings?', 'every second morning', (c) => c.document === 'greenhouse' && c.section === 'Greenhouse guide › Watering', 'Watering'],
      ['How warm must the greenhouse stay at night?', 'eight degrees', (c) => c.document === 'greenhouse' && c.section === 'Greenhouse guide › Heating', 'Heating'],
    ];
    for (const [question, words, holds, where] of cases) {
      const r = await call(s.url, 'POST', '/v1/chat', { key, body: { collection: 'kb', messages: [{ role: 'user', content: question }] } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.answer.includes(words), `${question} → ${r.body.answer}`);
      const n = Number(new RegExp(`${words}[^\\[]*\\[(\\d+)\\]`).exec(r.body.answer)?.[1]);
      const cited = r.body.citations.find((c: any) => c.n === n);
      assert.ok(cited && holds(cited), `${question}: the marker after "${words}" cites ${where} (got ${JSON.stringify(cited)})`);
    }
    // The PDF's chunks carry their page: the one cited for the luggage rules is page 2.
    const page = await call(s.url, 'GET', `/v1/collections/kb/documents/ferry`, { key });
    const luggage = page.body.chunks.find((c: any) => c.text.includes('suitcases'));
    assert.equal(luggage.page, 2);
  });

  it('streams citations first, then the answer in deltas, then done with the whole answer', async () => {
    const { s, key } = await setup('chat-stream');
    const res = await fetch(`${s.url}/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ collection: 'kb', stream: true, messages: [{ role: 'user', content: 'Is limescale damage covered by the warranty?' }] }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e) });
    parser.feed(await res.text());
    const types = events.map((e) => e.event);
    assert.equal(types[0], 'citations');
    assert.equal(types.at(-1), 'done');
    assert.ok(types.slice(1, -1).length >= 1 && types.slice(1, -1).every((t) => t === 'delta'), types.join(','));
    const done = JSON.parse(events.at(-1)!.data);
    const deltas = events.filter((e) => e.event === 'delta').map((e) => JSON.parse(e.data).text).join('');
    assert.equal(deltas, done.answer, 'the deltas make the answer');
    assert.deepEqual(JSON.parse(events[0].data).citations, done.citations);
    // Refusals come before the stream, as plain errors.
    const bad = await call(s.url, 'POST', '/v1/chat', { key, body: { collection: 'nope', stream: true, messages: [{ role: 'user', content: 'x y z' }] } });
    assert.deepEqual([bad.status, bad.body.error.code], [404, 'COLLECTION_NOT_FOUND']);
  });

  it('stores conversations: a follow-up leans on the question before, lists, reads and deletes them', async () => {
    const { s, key, ask } = await setup('chat-conversations');
    const first = await ask({ messages: [{ role: 'user', content: 'Tell me about the city bike gears' }] });
    assert.match(first.body.answer, /seven gears/);
    const id = first.body.conversationId;
    const follow = await ask({ conversationId: id, messages: [{ role: 'user', content: 'and its price?' }] });
    assert.equal(follow.body.conversationId, id);
    assert.match(follow.body.query, /city bike.*price/);
    assert.match(follow.body.answer, /649 euros/);
    const list = (await call(s.url, 'GET', '/v1/conversations', { key })).body.conversations;
    assert.deepEqual(list.map((c: any) => [c.id, c.title, c.messages]), [[id, 'Tell me about the city bike gears', 4]]);
    const one = (await call(s.url, 'GET', `/v1/conversations/${id}`, { key })).body;
    assert.deepEqual(one.messages.map((m: any) => m.role), ['user', 'assistant', 'user', 'assistant']);
    assert.equal(one.messages[3].citations[0].id, 'bike#1');
    assert.equal((await call(s.url, 'DELETE', `/v1/conversations/${id}`, { key })).status, 204);
    assert.equal((await call(s.url, 'GET', `/v1/conversations/${id}`, { key })).body.error.code, 'CONVERSATION_NOT_FOUND');
    assert.equal((await ask({ conversationId: id, messages: [{ role: 'user', content: 'again?' }] })).status, 404);
  });

  it('the semantic cache answers the same question over the same data again, per tenant; any write to the collection invalidates it', async () => {
    const { s, key, ask } = await setup('chat-cache');
    const q = (content: string, extra: Record<string, unknown> = {}) => ask({ messages: [{ role: 'user', content }], ...extra });
    const first = await q('How often should I descale the espresso machine?');
    assert.equal(first.body.cached, false);
    const again = await q('how often should I descale the espresso machine');
    assert.equal(again.body.cached, true, 'the same question, other case and punctuation');
    assert.deepEqual([again.body.answer, again.body.citations], [first.body.answer, first.body.citations]);
    assert.notEqual(again.body.conversationId, first.body.conversationId, 'a cached answer is still a turn of its own conversation');
    assert.equal((await q('How often should I descale the espresso machine?', { cache: false })).body.cached, false, 'cache: false asks afresh');
    assert.equal((await q('How much does the bike weigh?')).body.cached, false, 'another question is not the same');
    assert.equal((await q('How often should I descale the espresso machine?', { k: 2 })).body.cached, false, 'other retrieval settings are another key');
    // Another tenant with the same collection name and question: its own cache.
    const other = await register(s.url, 'chat-cache-other');
    await call(s.url, 'POST', '/v1/collections', { key: other.key, body: { name: 'kb' } });
    await call(s.url, 'POST', '/v1/collections/kb/documents', { key: other.key, body: { id: 'x', text: 'Descale the espresso machine every week with vinegar.' } });
    const theirs = await ask({ messages: [{ role: 'user', content: 'How often should I descale the espresso machine?' }] }, other.key);
    assert.deepEqual([theirs.body.cached, /every week/.test(theirs.body.answer)], [false, true]);
    // A write to the grounding collection: the next answer is computed again, from the new data.
    await call(s.url, 'POST', '/v1/collections/kb/documents', { key, body: { id: 'espresso', format: 'markdown', text: '# Espresso machine\n## Cleaning\nDescale the espresso machine every two weeks with citric acid.' } });
    const after = await q('How often should I descale the espresso machine?');
    assert.equal(after.body.cached, false);
    assert.match(after.body.answer, /every two weeks/);
    const metrics = (await call(s.url, 'GET', '/metrics')).body as string;
    assert.match(metrics, /vectra_chat_cache_hits [1-9]/);
    assert.match(metrics, /vectra_chat_cache_lookups [1-9]/);
  });

  it('refuses bad requests clearly, and another tenant can neither ground on the collection nor read the conversation', async () => {
    const { s, key, ask } = await setup('chat-refusals');
    const checks: [Record<string, unknown>, number, string][] = [
      [{ messages: [] }, 400, 'INVALID_ARGUMENT'],
      [{ messages: [{ role: 'assistant', content: 'hi' }] }, 400, 'INVALID_ARGUMENT'],
      [{ messages: [{ role: 'user', content: '   ' }] }, 400, 'INVALID_ARGUMENT'],
      [{ messages: [{ role: 'user', content: 'hi' }], llm: 'gpt-9' }, 400, 'LLM_NOT_FOUND'],
      [{ messages: [{ role: 'user', content: 'hi' }], colour: 'red' }, 400, 'INVALID_ARGUMENT'],
      [{ messages: [{ role: 'user', content: 'hi' }], collections: ['kb'] }, 400, 'INVALID_ARGUMENT'],
    ];
    for (const [body, status, code] of checks) {
      const r = await ask(body);
      assert.deepEqual([r.status, r.body.error?.code], [status, code], JSON.stringify(body));
    }
    assert.equal((await call(s.url, 'POST', '/v1/chat', { key, body: { messages: [{ role: 'user', content: 'hi' }] } })).body.error.code, 'INVALID_ARGUMENT');
    await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'raw', model: 'none', dimension: 3 } });
    const raw = await call(s.url, 'POST', '/v1/chat', { key, body: { collections: ['kb', 'raw'], messages: [{ role: 'user', content: 'hello there' }] } });
    assert.deepEqual([raw.status, raw.body.error.code], [400, 'INVALID_ARGUMENT']);
    assert.match(raw.body.error.message, /collection "raw" has no text model/);
    const mine = await ask({ messages: [{ role: 'user', content: 'How much does the bike weigh?' }] });
    const other = await register(s.url, 'chat-other');
    const theirs = await ask({ messages: [{ role: 'user', content: 'How much does the bike weigh?' }] }, other.key);
    assert.deepEqual([theirs.status, theirs.body.error.code], [404, 'COLLECTION_NOT_FOUND']);
    assert.equal((await call(s.url, 'GET', `/v1/conversations/${mine.body.conversationId}`, { key: other.key })).status, 404);
    assert.equal((await call(s.url, 'DELETE', `/v1/conversations/${mine.body.conversationId}`, { key: other.key })).status, 404);
    assert.deepEqual((await call(s.url, 'GET', '/v1/conversations', { key: other.key })).body.conversations, []);
    const followAsOther = await call(s.url, 'POST', '/v1/chat', { key: other.key, body: { collection: 'kb', conversationId: mine.body.conversationId, messages: [{ role: 'user', content: 'and the price?' }] } });
    assert.equal(followAsOther.status, 404);
  });
});
