/** Document chunking: sizes, overlap, Markdown sections and code fences, HTML; nothing lost (property). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { chunkDocument, htmlToText } from '../../src/services/chunking.js';

const words = (t: string) => t.split(/\s+/).filter(Boolean);

/**
 * Every word of the source appears in the chunks, in order; chunks may repeat words (the
 * overlap). Lenient about extra words, strict about missing ones.
 */
function coversInOrder(source: string, chunks: string[]): boolean {
  const src = words(source);
  let at = 0;
  for (const c of chunks) {
    const ws = words(c);
    // Skip the overlap: find where this chunk's words continue the source.
    let j = 0;
    while (j < ws.length && at < src.length && ws[j] !== src[at]) j++;
    if (j === ws.length && ws.length > 0 && at < src.length) {
      // The whole chunk is overlap-free only if its first word is next; otherwise it must re-cover.
      const back = src.lastIndexOf(ws[0], at);
      if (back < 0) return false;
      at = back;
      j = 0;
    }
    for (; j < ws.length && at < src.length; j++) if (ws[j] === src[at]) at++;
  }
  return at === src.length;
}

describe('chunking', () => {
  it('plain text: chunks within the size, paragraphs kept together when they fit, overlap carried', () => {
    const para = (n: number) => Array.from({ length: n }, (_, i) => `Sentence ${n}-${i} talks about things.`).join(' ');
    const text = [para(3), para(12), para(2)].join('\n\n');
    const chunks = chunkDocument(text, { size: 300, overlap: 60, format: 'text' });
    assert.ok(chunks.length >= 3);
    for (const c of chunks) assert.ok(c.text.length <= 300, `${c.text.length}`);
    assert.ok(chunks[0].text.startsWith('Sentence 3-0') && chunks[0].text.includes('Sentence 3-2'), 'a short paragraph stays whole');
    // The end of one chunk opens the next.
    const shared = chunks.slice(1).filter((c, i) => words(chunks[i].text).slice(-3).join(' ') === words(c.text).slice(0, 3).join(' ') || chunks[i].text.endsWith(words(c.text).slice(0, 2).join(' ')));
    assert.ok(shared.length > 0, JSON.stringify(chunks.map((c) => c.text)));
    assert.ok(coversInOrder(text, chunks.map((c) => c.text)));
    const noOverlap = chunkDocument(text, { size: 300, overlap: 0, format: 'text' });
    assert.equal(words(noOverlap.map((c) => c.text).join(' ')).length, words(text).length, 'without overlap every word appears once');
  });

  it('Markdown: a chunk never spans two sections, carries its heading trail, and keeps code fences whole', () => {
    const md = ['# Guide', 'Intro text.', '## Install', 'Run it.', '```sh', '# not a heading', 'npm ci', '```', '## Use', 'Use it well.', '### Tips', 'Tip one.'].join('\n\n');
    const chunks = chunkDocument(md, { size: 500, overlap: 50, format: 'markdown' });
    assert.deepEqual(chunks.map((c) => c.section), ['Guide', 'Guide › Install', 'Guide › Use', 'Guide › Use › Tips']);
    assert.equal(chunks[1].text, 'Guide › Install\nRun it.\n\n```sh\n\n# not a heading\n\nnpm ci\n\n```');
    assert.ok(chunks.every((c) => !c.text.slice(c.text.indexOf('\n') + 1).includes('## ')));
  });

  it('HTML: text only, entities decoded, scripts and styles dropped, headings as sections', () => {
    const html = '<html><head><style>p{}</style><script>track()</script></head><body><h1>Café &amp; Bar</h1><p>Open <b>daily</b>.</p><h2>Menu</h2><ul><li>Tea</li><li>Cake</li></ul><img src="x.png"></body></html>';
    assert.doesNotMatch(htmlToText(html), /track|p\{\}|x\.png/);
    const chunks = chunkDocument(html, { size: 500, overlap: 0, format: 'html' });
    assert.deepEqual(chunks.map((c) => c.section), ['Café & Bar', 'Café & Bar › Menu']);
    assert.match(chunks[0].text, /Open daily\./);
    assert.match(chunks[1].text, /Tea[\s\S]*Cake/);
  });

  it('adversarial headings: linear time, and a long heading trail never crowds out the text', { timeout: 20_000 }, () => {
    // Regression: a lazy heading regex backtracked cubically on runs of spaces (minutes at 8k).
    chunkDocument(`# a${' '.repeat(20_000)}b\n\ntext`, { size: 200, overlap: 20, format: 'markdown' });
    const deep = `${Array.from({ length: 6 }, (_, i) => `${'#'.repeat(i + 1)} ${'long heading '.repeat(40)}`).join('\n\n')}\n\n${'body words here. '.repeat(100)}`;
    const chunks = chunkDocument(deep, { size: 200, overlap: 20, format: 'markdown' });
    for (const c of chunks) assert.ok(c.text.length <= 200, `${c.text.length}`);
    assert.ok(chunks.length < 20, `${chunks.length} chunks: the heading trail is bounded`);
  });

  it('any text: no chunk over the size, no empty chunk, every word kept in order (property)', () => {
    const word = fc.stringMatching(/^[a-zA-Z]{1,30}[.!?,]?$/);
    const para = fc.array(word, { minLength: 1, maxLength: 80 }).map((ws) => ws.join(' '));
    fc.assert(
      fc.property(fc.array(para, { minLength: 1, maxLength: 12 }), fc.integer({ min: 100, max: 600 }), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })), (paras, size, overlap) => {
        const text = paras.join('\n\n');
        const chunks = chunkDocument(text, { size, overlap, format: 'text' });
        for (const c of chunks) {
          assert.ok(c.text.length <= size, `${c.text.length} > ${size}`);
          assert.ok(c.text.trim().length > 0);
        }
        assert.ok(coversInOrder(text, chunks.map((c) => c.text)), JSON.stringify({ text, size, overlap, chunks }));
        // Without overlap the chunks are the text, word for word.
        if (overlap === 0) assert.deepEqual(words(chunks.map((c) => c.text).join(' ')), words(text));
      }),
      { numRuns: 300 },
    );
  });
});
