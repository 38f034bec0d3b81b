/**
 * The LLM prompt: whatever the sources and the conversation, the estimated prompt fits the
 * context window with the answer's room left; sources go in rank order and only whole or cut
 * (never out of order); the newest turns are the ones kept; markers are read in their forms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildPrompt, citedNumbers, estimateTokens } from '../../src/rag/prompt.js';

const text = fc.string({ minLength: 1, maxLength: 3000, unit: fc.constantFrom('a', 'b', ' ', '.', 'é', '中', '\n', 'x', 'y') });

describe('buildPrompt', () => {
  it('fits the context window, sources in rank order, newest turns kept', () => {
    fc.assert(
      fc.property(
        fc.array(text, { maxLength: 12 }),
        fc.array(fc.record({ role: fc.constantFrom('user' as const, 'assistant' as const), content: text }), { maxLength: 10 }),
        fc.integer({ min: 1200, max: 20000 }),
        fc.integer({ min: 50, max: 1000 }),
        (sourceTexts, history, contextTokens, maxOutputTokens) => {
          const sources = sourceTexts.map((t, i) => ({ n: i + 1, text: t, title: i % 2 ? `Doc ${i}` : undefined }));
          const p = buildPrompt({ question: 'what is it?', history, sources, contextTokens, maxOutputTokens });
          const total = estimateTokens(p.system) + p.messages.reduce((a, m) => a + estimateTokens(m.content) + 8, 0);
          assert.ok(total <= contextTokens - maxOutputTokens, `${total} > ${contextTokens - maxOutputTokens}`);
          assert.equal(total, p.promptTokens);
          assert.deepEqual(p.used, sources.slice(0, p.used.length).map((s) => s.n), 'a prefix of the ranking');
          const kept = p.messages.slice(0, -1);
          assert.deepEqual(kept, history.slice(history.length - kept.length), 'the newest turns');
          const user = p.messages.at(-1)!.content;
          assert.ok(user.endsWith('Question: what is it?'));
          for (const n of p.used) assert.ok(user.includes(`[${n}]`));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses what cannot fit at all', () => {
    assert.throws(() => buildPrompt({ question: 'x'.repeat(9000), history: [], sources: [], contextTokens: 2000, maxOutputTokens: 500 }), RangeError);
  });
});

describe('citedNumbers', () => {
  it('reads [n], [n][m] and [n, m], only among the numbers given', () => {
    assert.deepEqual([...citedNumbers('A [1]. B [2][3]. C [4, 5]. D [9]. [x]', [1, 2, 3, 4, 5])].sort(), [1, 2, 3, 4, 5]);
    assert.deepEqual([...citedNumbers('see [7]', [1, 2])], []);
  });
});
