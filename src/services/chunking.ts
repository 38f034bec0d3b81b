/**
 * Splitting a long document into chunks for embedding. Sizes are in characters. Structure is
 * respected before size: Markdown headings start sections (a chunk never spans two, and
 * carries its heading trail as its first line), code fences stay whole when they fit,
 * paragraphs before sentences before words. HTML is turned into Markdown-like text first
 * (html-to-text; scripts, styles and images dropped; headings kept as headings).
 */
import { createRequire } from 'node:module';

// Loaded on the first HTML document, not at the server's start (~70 ms); its CommonJS build, synchronously.
let htmlModule: typeof import('html-to-text') | undefined;
const htmlToTextModule = () => (htmlModule ??= createRequire(import.meta.url)('html-to-text') as typeof import('html-to-text'));

export type DocumentFormat = 'text' | 'markdown' | 'html';

export interface ChunkOptions {
  size: number;
  overlap: number;
  format: DocumentFormat;
}

export const CHUNK_DEFAULTS = { size: 1000, overlap: 150 } as const;
/** Headings are repeated in every chunk of their section: keep them short. */
const MAX_TITLE = 80;

export interface Chunk {
  text: string;
  /** Heading trail ("Install › Linux") for Markdown and HTML. */
  section?: string;
}

/** HTML → text with Markdown headings, so the Markdown splitter sees its sections. */
export function htmlToText(html: string): string {
  return htmlToTextModule().convert(html, {
    wordwrap: false,
    formatters: {
      mdHeading: (elem, walk, builder) => {
        const level = Number(/^h([1-6])$/i.exec(elem.name ?? '')?.[1] ?? 1);
        builder.openBlock({ leadingLineBreaks: 2 });
        builder.addInline(`${'#'.repeat(level)} `);
        walk(elem.children, builder);
        builder.closeBlock({ trailingLineBreaks: 2 });
      },
    },
    selectors: [
      ...[1, 2, 3, 4, 5, 6].map((n) => ({ selector: `h${n}`, format: 'mdHeading' })),
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
    ],
  });
}

interface Section {
  trail: string[];
  body: string;
}

/** Markdown → sections at headings (ignoring "#" lines inside code fences). */
function sections(text: string, markdown: boolean): Section[] {
  if (!markdown) return [{ trail: [], body: text }];
  const out: Section[] = [];
  const trail: string[] = [];
  let body: string[] = [];
  let fence = false;
  const flush = () => {
    if (body.join('').trim() !== '') out.push({ trail: [...trail], body: body.join('\n') });
    body = [];
  };
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    // Linear-time parse (a lazy regex with trailing `\s*#*\s*$` backtracks cubically on long runs of spaces).
    const h = fence ? null : /^(#{1,6})[ \t]+(.*)$/.exec(line);
    const title = h ? h[2].trim().replace(/[ \t]#+$/, '').trim() : '';
    if (h && title !== '') {
      flush();
      trail.length = Math.min(trail.length, h[1].length - 1);
      while (trail.length < h[1].length - 1) trail.push('');
      trail.push(title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE)}…` : title);
    } else body.push(line);
  }
  flush();
  return out.map((s) => ({ trail: s.trail.filter(Boolean), body: s.body }));
}

/** Paragraphs (blank-line separated), keeping fenced code blocks in one piece. */
function blocks(body: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let fence = false;
  for (const line of body.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (!fence && line.trim() === '') {
      if (cur.length > 0) out.push(cur.join('\n'));
      cur = [];
    } else cur.push(line);
  }
  if (cur.length > 0) out.push(cur.join('\n'));
  return out.map((b) => b.trim()).filter(Boolean);
}

/** A piece longer than `size`: by sentences, then words, then characters. */
function pieces(block: string, size: number): string[] {
  if (block.length <= size) return [block];
  const sentences = block.split(/(?<=[.!?。！？])\s+/u);
  if (sentences.length > 1) return sentences.flatMap((s) => pieces(s, size));
  const words = block.split(/\s+/);
  if (words.length > 1) return words.flatMap((w) => pieces(w, size));
  const out: string[] = [];
  for (let i = 0; i < block.length; i += size) out.push(block.slice(i, i + size));
  return out;
}

/** The last `n` characters of `text`, starting at a word. */
function tail(text: string, n: number): string {
  if (n <= 0 || text.length <= n) return n <= 0 ? '' : text;
  const cut = text.slice(text.length - n);
  const space = cut.search(/\s/);
  return space >= 0 ? cut.slice(space + 1) : cut;
}

export function chunkDocument(input: string, o: ChunkOptions): Chunk[] {
  const text = (o.format === 'html' ? htmlToText(input) : input).replace(/\r\n?/g, '\n');
  const chunks: Chunk[] = [];
  for (const sec of sections(text, o.format !== 'text')) {
    // The trail opens every chunk of the section: at most a quarter of a chunk, keeping the deepest headings.
    let header = sec.trail.join(' › ');
    if (header.length > o.size / 4) header = `…${header.slice(header.length - Math.floor(o.size / 4) + 1)}`;
    // Room left for the body once the heading line is in.
    const room = Math.max(Math.floor(o.size / 2), o.size - (header ? header.length + 1 : 0));
    let cur = '';
    // Whether `cur` holds anything beyond the overlap carried from the previous chunk.
    let fresh = false;
    const emit = () => {
      if (fresh && cur.trim() !== '') chunks.push({ text: header ? `${header}\n${cur.trim()}` : cur.trim(), ...(header ? { section: header } : {}) });
      fresh = false;
    };
    for (const block of blocks(sec.body)) {
      pieces(block, room).forEach((piece, j) => {
        const sep = () => (cur === '' ? '' : j === 0 ? '\n\n' : ' ');
        if (fresh && cur.length + sep().length + piece.length > room) {
          emit();
          // The next chunk starts with the end of this one: a passage cut in two is found from either side.
          cur = tail(cur, Math.min(o.overlap, Math.max(0, room - piece.length - 2)));
        }
        cur += sep() + piece;
        fresh = true;
      });
    }
    emit();
  }
  return chunks;
}
