/**
 * Chat with LLMs, through a real Vectra server, against a local stand-in that speaks each
 * provider's documented streaming wire format (OpenAI chat completions, Gemini
 * streamGenerateContent, Anthropic Messages): the prompt carries the numbered sources and the
 * answer's markers map to the chunks that hold it; each provider's key goes in its own header
 * and never comes back; retries on 429/5xx; a stream broken mid-answer, an error event, a
 * silent provider or a stream without its end all end the answer with an error event, and
 * nothing is stored; sources fitted to a small context; the official `openai` client against
 * POST /v1/chat/completions, streamed and not.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import OpenAI from 'openai';
import { llmStandin, NOT_IN_SOURCES, type Standin } from '../support/llm-standin.js';
import { call, register, testServer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';

const KEYS = { openai: 'sk-standin-openai-1111', gemini: 'gm-standin-2222', anthropic: 'sk-ant-standin-3333' };
const PROVIDERS = ['openai', 'gemini', 'anthropic'] as const;

const DOCS = [
  { id: 'espresso', title: 'Espresso machine manual', text: '# Espresso machine\n## Cleaning\nDescale the espresso machine every month with citric acid. Rinse the water tank afterwards.\n## Warranty\nThe warranty covers the pump for two years. Damage from limescale is not covered.' },
  { id: 'bike', title: 'City bike sheet', text: '# City bike\nThe city bike has seven gears and a hub dynamo. Its frame is aluminium and weighs twelve kilograms.\n## Price\nThe bike costs 649 euros, with a lock included.' },
];

async function sse(res: Response): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(await res.text());
  return events;
}

describe('chat with LLM providers (stand-in servers speaking each wire format)', () => {
  let standin: Standin;
  let url: string;
  let key: string;
  const ask = (body: Record<string, unknown>, k = key) => call(url, 'POST', '/v1/chat', { key: k, body: { collection: 'kb', ...body } });
  const askStream = (body: Record<string, unknown>) =>
    fetch(`${url}/v1/chat`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ collection: 'kb', stream: true, ...body }) });

  before(async () => {
    standin = await llmStandin(KEYS);
    process.env.TEST_LLM_OPENAI_KEY = KEYS.openai;
    process.env.TEST_LLM_GEMINI_KEY = KEYS.gemini;
    process.env.TEST_LLM_ANTHROPIC_KEY = KEYS.anthropic;
    const config = join(tempDir(), 'models.json');
    writeFileSync(
      config,
      JSON.stringify({
        llms: [
          { id: 'gpt', provider: 'openai', model: 'gpt-standin', baseUrl: `${standin.url}/v1`, apiKeyEnv: 'TEST_LLM_OPENAI_KEY', timeoutMs: 1500 },
          { id: 'gemini', provider: 'gemini', model: 'gemini-standin', baseUrl: standin.url, apiKeyEnv: 'TEST_LLM_GEMINI_KEY', timeoutMs: 1500 },
          { id: 'claude', provider: 'anthropic', model: 'claude-standin', baseUrl: standin.url, apiKeyEnv: 'TEST_LLM_ANTHROPIC_KEY', timeoutMs: 1500 },
          { id: 'tiny', provider: 'openai', model: 'tiny', baseUrl: `${standin.url}/v1`, apiKeyEnv: 'TEST_LLM_OPENAI_KEY', contextTokens: 700, maxOutputTokens: 100 },
          { id: 'wrongkey', provider: 'anthropic', model: 'claude-standin', baseUrl: standin.url, apiKey: 'sk-ant-wrong-key-9999' },
          { id: 'nokey', provider: 'gemini', model: 'gemini-standin', apiKeyEnv: 'TEST_LLM_UNSET_KEY' },
        ],
        defaultLlm: 'gpt',
      }),
    );
    url = (await testServer({ VECTRA_MODELS_CONFIG: config })).url;
    key = (await register(url, 'llm-chat')).key;
    await call(url, 'POST', '/v1/collections', { key, body: { name: 'kb' } });
    for (const d of DOCS) assert.equal((await call(url, 'POST', '/v1/collections/kb/documents', { key, body: { id: d.id, text: d.text, format: 'markdown', metadata: { title: d.title } } })).status, 200);
  });
  after(() => standin.close());

  const idOf: Record<(typeof PROVIDERS)[number], string> = { openai: 'gpt', gemini: 'gemini', anthropic: 'claude' };

  it('lists the configured LLMs: which is the default, which lack a key (naming the variable, never a key)', async () => {
    const r = await call(url, 'GET', '/v1/llms', { key });
    const by = Object.fromEntries(r.body.llms.map((l: any) => [l.id, l]));
    assert.deepEqual(Object.keys(by).sort(), ['claude', 'extractive', 'gemini', 'gpt', 'nokey', 'tiny', 'wrongkey']);
    assert.equal(by.gpt.default, true);
    assert.equal(by.extractive.default, undefined);
    assert.deepEqual([by.nokey.available, by.gemini.available], [false, true]);
    assert.match(by.nokey.reason, /TEST_LLM_UNSET_KEY/);
    assert.ok(!JSON.stringify(r.body).includes('standin-') && !JSON.stringify(r.body).includes('wrong-key'), 'no key is echoed');
    const refused = await ask({ llm: 'nokey', messages: [{ role: 'user', content: 'How often should I descale the machine?' }] });
    assert.deepEqual([refused.status, refused.body.error.code], [503, 'LLM_UNAVAILABLE']);
    const unknown = await ask({ llm: 'gpt-9', messages: [{ role: 'user', content: 'How often should I descale the machine?' }] });
    assert.deepEqual([unknown.status, unknown.body.error.code], [400, 'LLM_NOT_FOUND']);
  });

  for (const provider of PROVIDERS) {
    it(`${provider}: the prompt numbers the sources, the answer's marker cites the chunk that holds it, key in the provider's header`, async () => {
      standin.reset();
      const r = await ask({ llm: idOf[provider], cache: false, messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.llm, idOf[provider]);
      assert.match(r.body.answer, /twelve kilograms\. \[\d\]$/);
      const n = Number(/\[(\d)\]$/.exec(r.body.answer)![1]);
      assert.deepEqual(r.body.citations.map((c: any) => [c.n, c.id]), [[n, 'bike#0']], 'the one source marked, and it holds the answer');
      assert.equal(r.body.grounded, true);
      assert.equal(r.body.usage.estimated, false, 'usage as the provider reported it');
      assert.ok(r.body.usage.completionTokens > 0 && r.body.usage.promptTokens > 0);
      assert.equal(standin.seen.length, 1);
      const seen = standin.seen[0];
      const wire = {
        openai: () => {
          assert.equal(seen.path, '/v1/chat/completions');
          assert.equal(seen.headers.authorization, `Bearer ${KEYS.openai}`);
          assert.deepEqual([seen.body.model, seen.body.stream, seen.body.stream_options], ['gpt-standin', true, { include_usage: true }]);
          assert.equal(seen.body.messages[0].role, 'system');
          return seen.body.messages.at(-1).content as string;
        },
        gemini: () => {
          assert.equal(seen.path, '/v1beta/models/gemini-standin:streamGenerateContent?alt=sse');
          assert.equal(seen.headers['x-goog-api-key'], KEYS.gemini);
          assert.match(seen.body.systemInstruction.parts[0].text, /numbered sources/);
          assert.equal(seen.body.contents.at(-1).role, 'user');
          assert.ok(seen.body.generationConfig.maxOutputTokens > 0);
          return seen.body.contents.at(-1).parts[0].text as string;
        },
        anthropic: () => {
          assert.equal(seen.path, '/v1/messages');
          assert.equal(seen.headers['x-api-key'], KEYS.anthropic);
          assert.equal(seen.headers['anthropic-version'], '2023-06-01');
          assert.deepEqual([seen.body.model, seen.body.stream], ['claude-standin', true]);
          assert.ok(seen.body.max_tokens > 0);
          assert.match(seen.body.system, /numbered sources/);
          return seen.body.messages.at(-1).content as string;
        },
      }[provider]();
      assert.match(wire, /^Sources:\n\n\[1\] /);
      assert.match(wire, /\[\d\] City bike sheet › City bike\nThe city bike has seven gears.*twelve kilograms/s, 'a source is numbered, headed by its title and section (said once)');
      assert.match(wire, /Question: How many kilograms does the city bike weigh\?$/);
      assert.ok(!JSON.stringify(r.body).includes(KEYS[provider]));
    });

    it(`${provider}: streams citations first, the provider's text as it comes, then done; retries a 429 and a 503 first`, async () => {
      standin.reset();
      standin.script.failTimes = 2;
      standin.script.failStatus = provider === 'gemini' ? 429 : 503;
      const res = await askStream({ llm: idOf[provider], cache: false, messages: [{ role: 'user', content: 'Is limescale damage covered by the warranty?' }] });
      assert.equal(res.status, 200);
      const events = await sse(res);
      const types = events.map((e) => e.event);
      assert.equal(types[0], 'citations');
      assert.equal(types.at(-1), 'done');
      const deltas = events.filter((e) => e.event === 'delta').map((e) => JSON.parse(e.data).text);
      assert.ok(deltas.length >= 2, `streamed in pieces (${deltas.length})`);
      const done = JSON.parse(events.at(-1)!.data);
      assert.equal(deltas.join(''), done.answer, 'the deltas make the answer');
      assert.match(done.answer, /Damage from limescale is not covered\. \[\d\]/);
      const offered = JSON.parse(events[0].data).citations.map((c: any) => c.n);
      assert.ok(done.citations.every((c: any) => offered.includes(c.n)), 'the final citations are among those streamed first');
      assert.equal(done.citations[0].id, 'espresso#1');
      assert.equal(standin.seen.length, 3, 'two refusals retried, then answered');
    });

    it(`${provider}: a stream that breaks, reports an error, goes silent or ends early ends with an error event, and nothing is stored`, async () => {
      const faults: [string, (s: Standin['script']) => void][] = [
        ['broken', (s) => (s.breakAfter = 1)],
        ['error event', (s) => (s.errorAfter = 1)],
        ['silent', (s) => (s.stallAfter = 1)],
        ['no end marker', (s) => (s.omitEnd = true)],
      ];
      const before = (await call(url, 'GET', '/v1/conversations', { key })).body.conversations.length;
      for (const [what, fault] of faults) {
        standin.reset();
        fault(standin.script);
        const res = await askStream({ llm: idOf[provider], cache: false, messages: [{ role: 'user', content: 'How often should I descale the espresso machine?' }] });
        assert.equal(res.status, 200, what);
        const events = await sse(res);
        const types = events.map((e) => e.event);
        assert.equal(types[0], 'citations', what);
        assert.equal(types.at(-1), 'error', `${what}: ${types.join(',')}`);
        assert.ok(!types.includes('done'), what);
        const err = JSON.parse(events.at(-1)!.data).error;
        assert.equal(err.code, 'LLM_UNAVAILABLE', what);
        assert.ok(err.message.includes(idOf[provider]), `${what}: ${err.message}`);
        assert.equal(standin.seen.length, 1, `${what}: a started answer is not retried`);
      }
      assert.equal((await call(url, 'GET', '/v1/conversations', { key })).body.conversations.length, before, 'failed answers are not stored');
    });
  }

  it('an answer cut at maxTokens says so: finishReason "length" from each provider\'s word for it, and OpenAI clients see finish_reason "length"', async () => {
    for (const provider of PROVIDERS) {
      standin.reset();
      const r = await ask({ llm: idOf[provider], cache: false, maxTokens: 2, messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.finishReason, 'length', provider);
      assert.ok(r.body.answer.trim().split(/\s+/).length <= 6, r.body.answer);
      const full = await ask({ llm: idOf[provider], cache: false, messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
      assert.equal(full.body.finishReason, 'stop', provider);
    }
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const c = await openai.chat.completions.create({ model: 'rag:kb', max_tokens: 2, messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
    assert.equal(c.choices[0].finish_reason, 'length');
  });

  it('/metrics counts each LLM\'s answers, failures, tokens and time to first text', async () => {
    const read = async () => {
      const text = (await call(url, 'GET', '/metrics')).body as string;
      const value = (name: string, labels = '') => Number(new RegExp(`^${name}\\{llm="claude"${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return { answers: value('vectra_llm_answers_total'), failures: value('vectra_llm_failures_total'), completion: value('vectra_llm_tokens_total', ',kind="completion"'), first: value('vectra_llm_first_text_seconds_count') };
    };
    const before = await read();
    standin.reset();
    await ask({ llm: 'claude', cache: false, messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
    standin.script.errorAfter = 0;
    await ask({ llm: 'claude', cache: false, messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
    const now = await read();
    assert.equal(now.answers - before.answers, 1);
    assert.equal(now.failures - before.failures, 1);
    assert.ok(now.completion > before.completion);
    assert.equal(now.first - before.first, 1, 'one time to first text observed');
  });

  it('a rejected key is final (no retries): 503 with the provider\'s message, never the key nor the provider\'s address', async () => {
    standin.reset();
    const r = await ask({ llm: 'wrongkey', messages: [{ role: 'user', content: 'How often should I descale the espresso machine?' }] });
    assert.deepEqual([r.status, r.body.error.code], [503, 'LLM_UNAVAILABLE']);
    assert.match(r.body.error.message, /401: authentication_error: Incorrect API key provided: \[redacted\]/);
    assert.ok(!r.body.error.message.includes('wrong-key') && !r.body.error.message.includes('sk-ant'), r.body.error.message);
    assert.ok(!r.body.error.message.includes(new URL(standin.url).host) && !r.body.error.message.includes('127.0.0.1'), r.body.error.message);
    assert.equal(standin.seen.length, 1);
  });

  it('a failure before any text is retried (nothing reached the client); a server answering JSON, or ending after its finish_reason without [DONE], is understood', async () => {
    for (const [what, fault] of [
      ['error event first', (s: Standin['script']) => (s.errorAfter = 0)],
      ['broken before text', (s: Standin['script']) => (s.breakAfter = 0)],
    ] as const) {
      standin.reset();
      fault(standin.script);
      standin.script.faultsLeft = 1;
      const r = await ask({ llm: 'claude', cache: false, messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
      assert.equal(r.status, 200, `${what}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.answer, /twelve kilograms/);
      assert.equal(standin.seen.length, 2, what);
    }
    for (const flag of ['jsonAlways', 'omitDone'] as const) {
      standin.reset();
      standin.script[flag] = true;
      const res = await askStream({ llm: 'gpt', cache: false, messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
      const events = await sse(res);
      assert.equal(events.at(-1)!.event, 'done', flag);
      assert.match(JSON.parse(events.at(-1)!.data).answer, /twelve kilograms\. \[\d\]/, flag);
    }
  });

  it('a client that goes away stops the LLM\'s answer (the provider\'s request is closed)', async () => {
    standin.reset();
    standin.script.delayMs = 300;
    const stop = new AbortController();
    const res = await fetch(`${url}/v1/chat`, {
      method: 'POST',
      signal: stop.signal,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ collection: 'kb', stream: true, llm: 'gpt', cache: false, messages: [{ role: 'user', content: 'Is limescale damage covered by the warranty?' }] }),
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: delta')) text += new TextDecoder().decode((await reader.read()).value);
    stop.abort();
    const deadline = Date.now() + 5000;
    while (standin.abandoned === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(standin.abandoned, 1, 'the provider saw its request closed before its answer ended');
  });

  it('when the sources do not answer, says so (grounded false, no citations); with no source found the LLM is not asked', async () => {
    standin.reset();
    standin.script.answer = () => NOT_IN_SOURCES;
    const none = await ask({ cache: false, messages: [{ role: 'user', content: 'What is the capital of Peru?' }] });
    assert.equal(standin.seen.length, 1, 'the sources were offered (hybrid search returns passages)');
    assert.deepEqual([none.body.answer, none.body.grounded, none.body.citations], [NOT_IN_SOURCES, false, []]);
    await call(url, 'POST', '/v1/collections', { key, body: { name: 'empty' } });
    standin.reset();
    const empty = await call(url, 'POST', '/v1/chat', { key, body: { collection: 'empty', messages: [{ role: 'user', content: 'Anything at all?' }] } });
    assert.deepEqual([empty.body.answer, empty.body.grounded, standin.seen.length], [NOT_IN_SOURCES, false, 0]);
  });

  it('fits sources and history into a small context: fewer sources, the newest turns, the streamed citations are the ones sent', async () => {
    const long = Array.from({ length: 12 }, (_, i) => `Section ${i} of the long manual talks about descaling routines and the water tank number ${i}, at length and with care.`).join(' ');
    for (let i = 0; i < 6; i++) await call(url, 'POST', '/v1/collections/kb/records', { key, body: { records: [{ id: `long-${i}`, text: `Descale notes ${i}. ${long}` }] } });
    standin.reset();
    const res = await askStream({ llm: 'tiny', k: 8, cache: false, messages: [{ role: 'user', content: 'How do I descale the espresso machine and its water tank?' }] });
    const events = await sse(res);
    const offered = JSON.parse(events[0].data).citations;
    assert.ok(offered.length >= 1 && offered.length < 8, `some but not all 8 sources fit (${offered.length})`);
    const prompt = standin.seen[0].body.messages.map((m: any) => m.content).join('\n');
    const sentNumbers = [...prompt.matchAll(/^\[(\d+)\]/gm)].map((m) => Number(m[1]));
    assert.deepEqual(sentNumbers, offered.map((c: any) => c.n), 'the citations streamed are exactly the sources sent');
    // 700-token context minus 100 for the answer: the prompt's characters stay well under 600 tokens' worth.
    assert.ok(prompt.length < 600 * 4, `prompt of ${prompt.length} characters`);
    assert.equal(standin.seen[0].body.max_tokens, 100);
    for (let i = 0; i < 6; i++) await call(url, 'DELETE', `/v1/collections/kb/records/long-${i}`, { key });
  });

  it('a follow-up sends the conversation before it as turns; the default llm answers when none is named', async () => {
    standin.reset();
    const first = await ask({ cache: false, messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
    assert.equal(first.body.llm, 'gpt', 'the configured default');
    const second = await ask({ cache: false, conversationId: first.body.conversationId, messages: [{ role: 'user', content: 'and what does it cost in euros?' }] });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const msgs = standin.seen[1].body.messages;
    assert.deepEqual(msgs.map((m: any) => m.role), ['system', 'user', 'assistant', 'user']);
    assert.equal(msgs[1].content, 'How many kilograms does the city bike weigh?');
    assert.equal(msgs[2].content, first.body.answer.replace(/\s*\[\d+\]/g, ''), 'the earlier answer, without its markers (they numbered other sources)');
    assert.match(second.body.answer, /649 euros/);
  });

  it('the official openai client gets cited answers from POST /v1/chat/completions, streamed and not', async () => {
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const c = await openai.chat.completions.create({ model: 'rag:kb', messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] });
    assert.equal(c.object, 'chat.completion');
    assert.match(c.choices[0].message.content!, /twelve kilograms\. \[\d\]/);
    assert.equal(c.choices[0].finish_reason, 'stop');
    assert.ok(c.usage!.total_tokens > 0);
    assert.equal((c as any).citations[0].id, 'bike#0');

    const stream = await openai.chat.completions.create({ model: 'rag:kb', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Is limescale damage covered by the warranty?' }] });
    let text = '';
    let finish: string | null = null;
    let usage = 0;
    let citations: any[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage?.total_tokens ?? usage;
      citations = (chunk as any).citations ?? citations;
    }
    assert.match(text, /Damage from limescale is not covered\. \[\d\]/);
    assert.equal(finish, 'stop');
    assert.ok(usage > 0);
    assert.equal(citations[0].id, 'espresso#1');

    // The extractive generator through the same route; errors as the client's typed errors.
    const ex = await openai.chat.completions.create({ model: 'rag:kb', llm: 'extractive', messages: [{ role: 'user', content: 'How often should I descale the espresso machine?' }] } as any);
    assert.match(ex.choices[0].message.content!, /every month/);
    await assert.rejects(openai.chat.completions.create({ model: 'rag:nope', messages: [{ role: 'user', content: 'x' }] }), (e: any) => e instanceof OpenAI.NotFoundError);
    await assert.rejects(openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }), (e: any) => e instanceof OpenAI.BadRequestError && /rag:<collection>/.test(e.message));
    // A failure mid-stream reaches the client as an error, not as a cut answer.
    standin.reset();
    standin.script.breakAfter = 1;
    const broken = await openai.chat.completions.create({ model: 'rag:kb', stream: true, messages: [{ role: 'user', content: 'How often should I descale the espresso machine?' }] });
    await assert.rejects(async () => {
      for await (const _ of broken) {
        // reading
      }
    }, /LLM|failed|stream/i);
  });

  it('another tenant cannot ground on this tenant\'s collection, through either route', async () => {
    const other = (await register(url, 'llm-other')).key;
    const r = await ask({ messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] }, other);
    assert.deepEqual([r.status, r.body.error.code], [404, 'COLLECTION_NOT_FOUND']);
    const c = await call(url, 'POST', '/v1/chat/completions', { key: other, body: { model: 'rag:kb', messages: [{ role: 'user', content: 'How many kilograms does the city bike weigh?' }] } });
    assert.deepEqual([c.status, c.body.error.code], [404, 'COLLECTION_NOT_FOUND']);
  });
});
