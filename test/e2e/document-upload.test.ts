/**
 * Document files over HTTP (POST …/documents/upload): PDF, DOCX, HTML, Markdown and text are
 * stored as chunks that point at their page or section; a re-upload replaces them; every file
 * that cannot be read answers a coded 4xx and stores nothing; tenants stay apart. Large files
 * (over VECTRA_UPLOAD_SYNC_BYTES) are checked, answered 202 with a job, and stored by it.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { call, client, errorCode, register, testServer, type Answer } from '../support/server.js';
import { tempDir } from '../support/tmp.js';
import { docxFile, docxParts, pdfFile, zipFile } from '../support/document-files.js';

const MAX_UPLOAD = 256 * 1024;
let url: string;
let keyA: string;
let api: ReturnType<typeof client>;

before(async () => {
  const server = await testServer({ VECTRA_RATE_LIMIT: '1000000', VECTRA_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
  url = server.url;
  keyA = (await register(url, 'alpha')).key;
  api = client(url, keyA);
  assert.equal((await api('POST', '/v1/collections', { name: 'files' })).status, 201);
});

interface Upload {
  bytes: Buffer | string;
  filename?: string;
  type?: string;
  fields?: Record<string, string>;
}

async function upload(u: Upload, opts: { key?: string; collection?: string } = {}): Promise<Answer> {
  const form = new FormData();
  for (const [k, v] of Object.entries(u.fields ?? {})) form.append(k, v);
  form.append('file', new Blob([u.bytes], { type: u.type ?? 'application/octet-stream' }), u.filename ?? 'upload.bin');
  const res = await fetch(`${url}/v1/collections/${opts.collection ?? 'files'}/documents/upload`, { method: 'POST', headers: { authorization: `Bearer ${opts.key ?? keyA}` }, body: form });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

const count = async () => (await api('GET', '/v1/collections/files')).body.count as number;

/** The best chunk of `doc` for `text`, with its metadata. */
async function best(doc: string, text: string): Promise<{ id: string; metadata: Record<string, unknown> }> {
  const r = await api('POST', '/v1/collections/files/search', { text, k: 1, filter: { _document: doc } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.results[0];
}

const PAGES = [
  'Annual report of the harbour authority.\nShips arrived and left on schedule.',
  'Zebras and giraffes graze on the savanna grasslands.\nLions hunt them at dusk.',
  'Rockets launch satellites into orbit around the planet.\nEngines burn liquid fuel.',
];

describe('document upload', () => {
  it('a PDF: one chunk per page here, each pointing at its page, with the title and metadata', async () => {
    const r = await upload({ bytes: pdfFile(PAGES), filename: 'report.pdf', type: 'application/pdf', fields: { id: 'report', title: 'Annual report', metadata: '{"team": "ops"}' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body, { id: 'report', chunks: 3, pages: 3, format: 'pdf' });
    const hit = await best('report', 'zebras and giraffes on the savanna');
    assert.equal(hit.id, 'report#1');
    assert.deepEqual(hit.metadata, { team: 'ops', _title: 'Annual report', _document: 'report', _chunk: 1, _chunks: 3, _page: 2 });
    assert.equal((await best('report', 'rockets launch satellites into orbit')).metadata._page, 3);
    const doc = (await api('GET', '/v1/collections/files/documents/report')).body;
    assert.deepEqual(doc.chunks.map((c: { page: number }) => c.page), [1, 2, 3]);
  });

  it('a DOCX: headings survive, chunks carry their heading path; the file name is the default title', async () => {
    const bytes = docxFile([
      ['Heading1', 'Router guide'],
      [null, 'Plug the router into the wall socket and wait for the lights.'],
      ['Heading2', 'Troubleshooting'],
      [null, 'When the lights blink red, reboot the router and check the cable.'],
    ]);
    const r = await upload({ bytes, filename: 'router guide.docx', fields: { id: 'router' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body, { id: 'router', chunks: 2, format: 'docx' });
    const hit = await best('router', 'lights blink red reboot the cable');
    assert.equal(hit.metadata._section, 'Router guide › Troubleshooting');
    assert.equal(hit.metadata._title, 'router guide.docx');
  });

  it('HTML, Markdown and plain text: by content, extension or Content-Type', async () => {
    const html = '<!DOCTYPE html><html><body><h1>Kitchen</h1><p>Knives are sharpened weekly.</p><h2>Baking</h2><p>Bread dough rises overnight in the oven.</p></body></html>';
    const md = '# Garden\n\nTomatoes need full sun.\n\n## Pests\n\nAphids eat the roses; ladybirds eat the aphids.';
    const cases: [Upload, string, string, string | undefined][] = [
      [{ bytes: html, filename: 'kitchen.bin' }, 'html', 'bread dough rises in the oven', 'Kitchen › Baking'],
      [{ bytes: md, filename: 'garden.md' }, 'markdown', 'aphids eat roses, ladybirds', 'Garden › Pests'],
      [{ bytes: md, filename: 'garden', type: 'text/markdown' }, 'markdown', 'aphids eat roses, ladybirds', 'Garden › Pests'],
      [{ bytes: '\ufeffPlain notes about the weather: rain tomorrow.', filename: 'notes.txt' }, 'text', 'rain tomorrow', undefined],
      [{ bytes: 'Notes: a file starting %PDF- is a PDF, this one is not.', filename: 'pdf-notes.txt' }, 'text', 'a file starting', undefined],
    ];
    for (const [i, [u, format, query, section]] of cases.entries()) {
      const r = await upload({ ...u, fields: { id: `doc${i}`, chunk: '{"size": 200, "overlap": 20}' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.format, format);
      assert.equal((await best(`doc${i}`, query)).metadata._section, section);
    }
  });

  it('re-uploading an id replaces its chunks: none of the old version is left', async () => {
    const before = await count();
    const r = await upload({ bytes: pdfFile(['Only one page remains about harbour ships.']), filename: 'report.pdf', fields: { id: 'report' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body, { id: 'report', chunks: 1, pages: 1, format: 'pdf' });
    assert.equal(await count(), before - 2);
    assert.equal((await api('GET', '/v1/collections/files/records/report%231')).status, 404);
    const doc = (await api('GET', '/v1/collections/files/documents/report')).body;
    assert.deepEqual(doc.metadata, { _title: 'report.pdf' });
    assert.equal(doc.chunks.length, 1);
  });

  it('files that cannot be read answer a coded 4xx and store nothing', async () => {
    const docxish = (parts: ReturnType<typeof docxParts>) => zipFile(parts);
    const bad: [string, Upload, number, string][] = [
      ['an image', { bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]), filename: 'scan.png' }, 415, 'UNSUPPORTED_FILE_TYPE'],
      ['binary junk', { bytes: Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0, 1, 2]), filename: 'blob' }, 415, 'UNSUPPORTED_FILE_TYPE'],
      ['a zip that is not a DOCX', { bytes: zipFile([{ name: 'xl/workbook.xml', data: '<workbook/>' }]), filename: 'book.xlsx' }, 415, 'UNSUPPORTED_FILE_TYPE'],
      ['an encrypted PDF', { bytes: pdfFile(['secret plans'], { encrypt: true }), filename: 'secret.pdf' }, 400, 'ENCRYPTED_FILE'],
      ['a corrupt PDF', { bytes: '%PDF-1.4\n1 0 obj garbage\n%%EOF', filename: 'broken.pdf' }, 400, 'CORRUPT_FILE'],
      ['text named .pdf', { bytes: 'not a pdf at all', filename: 'fake.pdf' }, 400, 'CORRUPT_FILE'],
      ['a truncated DOCX', { bytes: docxFile([[null, 'text']]).subarray(0, 200), filename: 'cut.docx' }, 400, 'CORRUPT_FILE'],
      ['a DOCX of broken XML', { bytes: docxish(docxParts([], '<w:document><oops')), filename: 'bad.docx' }, 400, 'CORRUPT_FILE'],
      // 120 MB of zeros deflate to ~120 KB: the declared total is refused before anything is inflated.
      ['a zip bomb', { bytes: docxish([...docxParts([[null, 'x']]), { name: 'word/media/zeros.bin', data: Buffer.alloc(120 * 1024 * 1024) }]), filename: 'bomb.docx' }, 413, 'ARCHIVE_TOO_LARGE'],
      ['a zip that lies about its sizes', { bytes: docxish([...docxParts([[null, 'x']]), { name: 'word/media/zeros.bin', data: Buffer.alloc(20 * 1024 * 1024), declaredSize: 1000 }]), filename: 'liar.docx' }, 413, 'ARCHIVE_TOO_LARGE'],
      ['a file over VECTRA_MAX_UPLOAD_BYTES', { bytes: 'word '.repeat(MAX_UPLOAD / 4), filename: 'big.txt' }, 413, 'PAYLOAD_TOO_LARGE'],
      ['a scanned PDF (no text)', { bytes: pdfFile(['', '']), filename: 'scan.pdf' }, 400, 'NO_EXTRACTABLE_TEXT'],
      ['a DOCX without text', { bytes: docxFile([]), filename: 'blank.docx' }, 400, 'NO_EXTRACTABLE_TEXT'],
      ['an empty file', { bytes: '', filename: 'empty.txt' }, 400, 'EMPTY_FILE'],
      ['metadata that is not JSON', { bytes: 'hello', fields: { metadata: '{team' } }, 400, 'INVALID_ARGUMENT'],
      ['a reserved metadata key', { bytes: 'hello', fields: { metadata: '{"_page": 3}' } }, 400, 'INVALID_RECORD'],
      ['a bad chunk size', { bytes: 'hello', fields: { chunk: '{"size": 5}' } }, 400, 'INVALID_ARGUMENT'],
      ['an id with "#"', { bytes: 'hello', fields: { id: 'a#b' } }, 400, 'INVALID_ARGUMENT'],
      ['an unknown field', { bytes: 'hello', fields: { colour: 'red' } }, 400, 'INVALID_ARGUMENT'],
    ];
    // Sanity: the zip bomb really is small on the wire and large unpacked.
    assert.ok(deflateRawSync(Buffer.alloc(120 * 1024 * 1024)).length < MAX_UPLOAD);
    const before = await count();
    for (const [what, u, status, code] of bad) {
      const r = await upload(u);
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
      assert.equal(errorCode(r), code, what);
      assert.equal(await count(), before, `${what} stored nothing`);
    }
  });

  it('the request itself: a form without a file, a JSON body, no such collection', async () => {
    const form = new FormData();
    form.append('id', 'x');
    const noFile = await fetch(`${url}/v1/collections/files/documents/upload`, { method: 'POST', headers: { authorization: `Bearer ${keyA}` }, body: form });
    assert.equal(noFile.status, 400);
    assert.equal((await noFile.json()).error.code, 'INVALID_ARGUMENT');
    const json = await api('POST', '/v1/collections/files/documents/upload', { text: 'hello' });
    assert.equal(json.status, 415);
    assert.equal(errorCode(json), 'UNSUPPORTED_MEDIA_TYPE');
    assert.equal((await upload({ bytes: 'hello' }, { collection: 'nope' })).status, 404);
    await api('POST', '/v1/collections', { name: 'raw', model: 'none', dimension: 2 });
    assert.equal((await upload({ bytes: 'hello' }, { collection: 'raw' })).status, 400);
    // The multipart parser is this route's only: other routes still refuse multipart bodies.
    const other = await fetch(`${url}/v1/collections/files/records`, { method: 'POST', headers: { authorization: `Bearer ${keyA}` }, body: form });
    assert.equal(other.status, 415);
  });

  it("a tenant cannot upload into another tenant's collection (404, nothing stored)", async () => {
    const keyB = (await register(url, 'bravo')).key;
    const before = await count();
    const r = await upload({ bytes: 'mallory was here', fields: { id: 'report' } }, { key: keyB });
    assert.equal(r.status, 404);
    assert.equal(errorCode(r), 'COLLECTION_NOT_FOUND');
    assert.equal(await count(), before);
    assert.match((await api('GET', '/v1/collections/files/documents/report')).body.chunks[0].text, /harbour/);
  });
});

describe('document upload, slow senders', () => {
  it('a form that stops arriving is answered 408 REQUEST_TIMEOUT and stores nothing', async () => {
    const server = await testServer({ VECTRA_REQUEST_TIMEOUT_MS: '300' });
    const { key } = await register(server.url);
    const slow = client(server.url, key);
    await slow('POST', '/v1/collections', { name: 'kb' });
    const boundary = 'vectra-slow-boundary';
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/v1/collections/kb/documents/upload`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}` } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      // The file part starts, then nothing more comes.
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nthe beginning of a long`);
    });
    assert.equal(answer.status, 408);
    assert.equal(JSON.parse(answer.body).error.code, 'REQUEST_TIMEOUT');
    assert.match(JSON.parse(answer.body).error.message, /nothing was stored/);
    assert.equal((await slow('GET', '/v1/collections/kb')).body.count, 0);
  });
});

describe('document upload, large files as background jobs', () => {
  const SYNC = 64 * 1024;
  let jobsUrl: string;
  let key: string;
  let japi: ReturnType<typeof client>;
  let dataDir: string;

  before(async () => {
    const server = await testServer({ VECTRA_RATE_LIMIT: '1000000', VECTRA_UPLOAD_SYNC_BYTES: String(SYNC) });
    jobsUrl = server.url;
    dataDir = server.dataDir;
    key = (await register(jobsUrl, 'jobs')).key;
    japi = client(jobsUrl, key);
    assert.equal((await japi('POST', '/v1/collections', { name: 'kb' })).status, 201);
  });

  const send = async (u: Upload, query = '', k = key): Promise<Answer> => {
    const form = new FormData();
    for (const [f, v] of Object.entries(u.fields ?? {})) form.append(f, v);
    form.append('file', new Blob([u.bytes], { type: u.type ?? 'application/octet-stream' }), u.filename ?? 'upload.bin');
    const res = await fetch(`${jobsUrl}/v1/collections/kb/documents/upload${query}`, { method: 'POST', headers: { authorization: `Bearer ${k}` }, body: form });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };

  /** Poll the job until it ends; every view seen along the way, the last one ended. */
  const follow = async (id: string): Promise<any[]> => {
    const seen: any[] = [];
    for (const started = Date.now(); Date.now() - started < 60_000; ) {
      const r = await japi('GET', `/v1/jobs/${id}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      seen.push(r.body);
      if (!['queued', 'running'].includes(r.body.status)) return seen;
      await new Promise((res) => setTimeout(res, 5));
    }
    throw new Error(`job ${id} did not end in 60 s: ${JSON.stringify(seen.at(-1))}`);
  };
  const kbCount = async () => (await japi('GET', '/v1/collections/kb')).body.count as number;
  const published = async () => (await japi('GET', '/v1/events/stats')).body.published as Record<string, number>;

  /** 120 pages, each about its own animal, ~1.2 KB each: over the 64 KiB threshold. */
  const ANIMALS = ['zebra', 'giraffe', 'pelican', 'octopus', 'badger', 'walrus', 'lemur', 'heron'];
  const bigPdf = () => pdfFile(Array.from({ length: 120 }, (_, p) => Array.from({ length: 12 }, (_, l) => `Page ${p + 1} line ${l}: the ${ANIMALS[p % 8]} number ${p + 1} lives here.`).join('\n')));

  it('a large PDF: 202 with the job, progress while it runs, then done with the result; the document is searchable, page by page', async () => {
    const bytes = bigPdf();
    assert.ok(bytes.length > SYNC, `${bytes.length} bytes`);
    const before = await published();
    const r = await send({ bytes, filename: 'animals.pdf', fields: { id: 'animals', title: 'Animals', metadata: '{"shelf": 3}' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const job = r.body.job;
    assert.match(job.id, /^job_/);
    assert.deepEqual([job.type, job.collection, job.document, job.result], ['document', 'kb', 'animals', null]);
    assert.ok(['queued', 'running', 'done'].includes(job.status));
    const seen = await follow(job.id);
    const end = seen.at(-1);
    assert.equal(end.status, 'done', JSON.stringify(end));
    assert.deepEqual(end.result, { id: 'animals', chunks: end.total, format: 'pdf', pages: 120 });
    assert.ok(end.total >= 120, `${end.total} chunks`);
    assert.deepEqual([end.done, end.upserted, end.error, end.stage], [end.total, end.total, null, null]);
    assert.deepEqual(end.pages, { done: 120, total: 120 });
    // Progress only moves forward, never past its total.
    let last = { pages: 0, done: 0 };
    for (const v of seen.filter((x) => x.status === 'running')) {
      assert.ok(['parsing', 'embedding'].includes(v.stage), JSON.stringify(v));
      if (v.pages) assert.ok(v.pages.done >= last.pages && v.pages.done <= v.pages.total && v.pages.total === 120, JSON.stringify(v));
      if (v.stage === 'embedding') assert.ok(v.done >= last.done && v.done <= v.total && v.total === end.total, JSON.stringify(v));
      last = { pages: v.pages?.done ?? last.pages, done: v.done };
    }
    // Stored as the synchronous upload stores it.
    const doc = (await japi('GET', '/v1/collections/kb/documents/animals')).body;
    assert.equal(doc.chunks.length, end.total);
    assert.deepEqual(doc.metadata, { shelf: 3, _title: 'Animals' });
    const hit = await japi('POST', '/v1/collections/kb/search', { text: 'the walrus number 46 lives here', k: 1, mode: 'hybrid', filter: { _document: 'animals' } });
    assert.equal(hit.body.results[0].metadata._page, 46, JSON.stringify(hit.body.results[0]));
    // job.completed on the event bus, as imports.
    assert.equal((await published())['job.completed'] ?? 0, (before['job.completed'] ?? 0) + 1);
  });

  it('a re-upload as a job replaces the earlier version whole; ?async=false waits for any size, ?async=true makes a job of any size', async () => {
    const small = await send({ bytes: 'Short notes about a heron.', filename: 'notes.txt', fields: { id: 'notes' } });
    assert.equal(small.status, 201, JSON.stringify(small.body));
    // Other query parameters are ignored, as before ?async existed; a wrong ?async is not.
    assert.equal((await send({ bytes: 'Short notes.', filename: 'notes.txt', fields: { id: 'notes3' } }, '?cache=123')).status, 201);
    const wrong = await send({ bytes: 'Short notes.', filename: 'notes.txt' }, '?async=yes');
    assert.deepEqual([wrong.status, errorCode(wrong)], [400, 'INVALID_ARGUMENT']);
    const forced = await send({ bytes: 'Short notes about a heron, again.', filename: 'notes.txt', fields: { id: 'notes2' } }, '?async=true');
    assert.equal(forced.status, 202, JSON.stringify(forced.body));
    assert.equal((await follow(forced.body.job.id)).at(-1).status, 'done');
    const waited = await send({ bytes: bigPdf(), filename: 'animals.pdf', fields: { id: 'waited' } }, '?async=false');
    assert.equal(waited.status, 201, JSON.stringify(waited.body));
    assert.equal(waited.body.pages, 120);
    // A shorter version of "animals" through a job: only its chunks remain.
    const before = await kbCount();
    const old = (await japi('GET', '/v1/collections/kb/documents/animals')).body.chunks.length as number;
    const text = Array.from({ length: 3000 }, (_, i) => `Sentence ${i} about a lemur.`).join(' ');
    assert.ok(text.length > SYNC);
    const r = await send({ bytes: text, filename: 'lemurs.txt', fields: { id: 'animals', chunk: '{"size": 20000, "overlap": 0}' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const end = (await follow(r.body.job.id)).at(-1);
    assert.deepEqual([end.status, end.result.format, end.pages], ['done', 'text', null]);
    const doc = (await japi('GET', '/v1/collections/kb/documents/animals')).body;
    assert.equal(doc.chunks.length, end.result.chunks);
    assert.ok(doc.chunks.every((c: { text: string; page?: number }) => /lemur/.test(c.text) && c.page === undefined));
    assert.equal(await kbCount(), before - old + end.result.chunks);
  });

  it('what can be told without parsing is refused at once, with the synchronous codes; what parsing finds fails the job with its code, storing nothing', async () => {
    const pad = (b: Buffer | string) => Buffer.concat([Buffer.from(b), Buffer.alloc(SYNC, 0x20)]);
    const refused: [string, Upload, string, number, string][] = [
      ['a large image', { bytes: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(SYNC)]), filename: 'scan.png' }, '', 415, 'UNSUPPORTED_FILE_TYPE'],
      ['large binary data', { bytes: Buffer.alloc(SYNC * 2, 0xc3), filename: 'blob' }, '', 415, 'UNSUPPORTED_FILE_TYPE'],
      ['large text named .pdf', { bytes: pad('not a pdf at all'), filename: 'fake.pdf' }, '', 400, 'CORRUPT_FILE'],
      ['an empty file, as a job', { bytes: '', filename: 'empty.txt' }, '?async=true', 400, 'EMPTY_FILE'],
      ['a reserved metadata key', { bytes: pad('hello'), filename: 'a.txt', fields: { metadata: '{"_page": 1}' } }, '', 400, 'INVALID_RECORD'],
      ['an id with "#"', { bytes: pad('hello'), filename: 'a.txt', fields: { id: 'a#b' } }, '', 400, 'INVALID_ARGUMENT'],
      ['a bad chunk size', { bytes: pad('hello'), filename: 'a.txt', fields: { chunk: '{"size": 200, "overlap": 150}' } }, '', 400, 'INVALID_ARGUMENT'],
      ['a zip bomb', { bytes: zipFile([...docxParts([[null, 'x']]), { name: 'word/media/zeros.bin', data: Buffer.alloc(120 * 1024 * 1024) }]), filename: 'bomb.docx' }, '?async=true', 413, 'ARCHIVE_TOO_LARGE'],
    ];
    const jobsBefore = (await japi('GET', '/v1/jobs')).body.jobs.length;
    const count = await kbCount();
    for (const [what, u, q, status, code] of refused) {
      const r = await send(u, q);
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
      assert.equal(errorCode(r), code, what);
    }
    assert.equal((await japi('GET', '/v1/jobs')).body.jobs.length, jobsBefore, 'no job for a refused upload');

    const before = await published();
    const failing: [string, Upload, string][] = [
      ['a large corrupt PDF', { bytes: pad('%PDF-1.4\n1 0 obj garbage\n%%EOF\n'), filename: 'broken.pdf' }, 'CORRUPT_FILE'],
      ['an encrypted PDF', { bytes: pad(pdfFile(['secret plans'], { encrypt: true })), filename: 'secret.pdf' }, 'ENCRYPTED_FILE'],
      ['a large scanned PDF (no text)', { bytes: pad(pdfFile(Array(50).fill(''))), filename: 'scan.pdf' }, 'NO_EXTRACTABLE_TEXT'],
    ];
    for (const [what, u, code] of failing) {
      const r = await send({ ...u, fields: { id: 'animals' } });
      assert.equal(r.status, 202, `${what}: ${JSON.stringify(r.body)}`);
      const end = (await follow(r.body.job.id)).at(-1);
      assert.equal(end.status, 'failed', `${what}: ${JSON.stringify(end)}`);
      assert.equal(end.error.code, code, `${what}: ${JSON.stringify(end.error)}`);
      assert.ok(end.error.message.length > 0);
      assert.deepEqual([end.result, end.upserted], [null, 0]);
    }
    assert.equal(await kbCount(), count, 'nothing stored by a failed job: the earlier "animals" is whole');
    assert.ok((await japi('GET', '/v1/collections/kb/documents/animals')).body.chunks.every((c: { text: string }) => /lemur/.test(c.text)));
    assert.equal((await published())['job.failed'] ?? 0, (before['job.failed'] ?? 0) + failing.length, 'job.failed on the event bus');
    // The uploads are kept only until their job ends.
    assert.deepEqual(readdirSync(join(dataDir, 'imports')).filter((f) => f.endsWith('.upload')), []);
  });

  it("another tenant's key gets 404 for a job, as for one that does not exist, and does not list it", async () => {
    const r = await send({ bytes: bigPdf(), filename: 'animals.pdf', fields: { id: 'private' } });
    assert.equal(r.status, 202);
    const id = r.body.job.id as string;
    const other = client(jobsUrl, (await register(jobsUrl, 'other')).key);
    for (const [method, path] of [['GET', `/v1/jobs/${id}`], ['POST', `/v1/jobs/${id}/cancel`]]) {
      const a = await other(method, path);
      assert.equal(a.status, 404, `${method} ${path}`);
      assert.equal(errorCode(a), 'JOB_NOT_FOUND');
      assert.equal(JSON.stringify(a.body).includes('private'), false);
    }
    assert.deepEqual((await other('GET', '/v1/jobs')).body.jobs, []);
    // Nor can it upload into this tenant's collection (404 before the body is read).
    const into = await send({ bytes: bigPdf(), filename: 'x.pdf' }, '', (await register(jobsUrl, 'third')).key);
    assert.equal(into.status, 404);
    assert.equal(errorCode(into), 'COLLECTION_NOT_FOUND');
    assert.equal((await follow(id)).at(-1).status, 'done');
    assert.ok((await japi('GET', '/v1/jobs')).body.jobs.some((j: { id: string }) => j.id === id));
  });

  it('cancelled, a job stores nothing; a job cut by a server stop goes on at the next start, its upload kept until then', async () => {
    // ~2.5 MB, ~3,000 chunks: long enough that the cancel and the stop land while it runs.
    const big = Array.from({ length: 100_000 }, (_, i) => `Line ${i} about a pelican.`).join('\n');
    const r = await send({ bytes: big, filename: 'pelicans.txt', fields: { id: 'pelicans' } });
    assert.equal(r.status, 202);
    const cancelled = await japi('POST', `/v1/jobs/${r.body.job.id}/cancel`);
    assert.equal(cancelled.status, 200);
    const end = (await follow(r.body.job.id)).at(-1);
    // It may have ended before the cancel arrived: then it is done, and stored whole.
    if (end.status === 'cancelled') assert.equal((await japi('GET', '/v1/collections/kb/documents/pelicans')).status, 404, 'a cancelled job stored nothing');
    else assert.equal(end.status, 'done');

    const dir = tempDir();
    let s = await testServer({ VECTRA_UPLOAD_SYNC_BYTES: String(SYNC) }, dir);
    const k = (await register(s.url, 'restart')).key;
    await call(s.url, 'POST', '/v1/collections', { key: k, body: { name: 'kb' } });
    const form = new FormData();
    form.append('id', 'herons');
    form.append('file', new Blob([big.replace(/pelican/g, 'heron')]), 'herons.txt');
    const up = await fetch(`${s.url}/v1/collections/kb/documents/upload`, { method: 'POST', headers: { authorization: `Bearer ${k}` }, body: form });
    assert.equal(up.status, 202);
    const id = ((await up.json()) as { job: { id: string } }).job.id;
    await s.close(); // stops the job at its next step (or after it ended)
    // What the stop left: a job cut mid-way is still "running", its upload still on disk.
    const db = new Database(join(dir, 'jobs.db'), { readonly: true });
    const cut = (db.prepare('SELECT status FROM jobs WHERE id = ?').get(id) as { status: string }).status === 'running';
    db.close();
    if (cut) assert.deepEqual(readdirSync(join(dir, 'imports')), [`${id}.upload`]);
    const restartedAt = Date.now();
    s = await testServer({ VECTRA_UPLOAD_SYNC_BYTES: String(SYNC) }, dir);
    let job: any;
    for (const started = Date.now(); Date.now() - started < 60_000; await new Promise((res) => setTimeout(res, 20))) {
      job = (await call(s.url, 'GET', `/v1/jobs/${id}`, { key: k })).body;
      if (job.status !== 'queued' && job.status !== 'running') break;
    }
    assert.equal(job.status, 'done', JSON.stringify(job));
    if (cut) assert.ok(Date.parse(job.finishedAt) >= restartedAt, 'the job cut by the stop ended after the restart');
    process.stdout.write(`# a document job ${cut ? 'cut by the server stop went on after the restart' : 'ended before the server stopped'}\n`);
    const doc = await call(s.url, 'GET', '/v1/collections/kb/documents/herons', { key: k });
    assert.equal(doc.body.chunks.length, job.result.chunks);
    assert.deepEqual(readdirSync(join(dir, 'imports')).filter((f) => f.endsWith('.upload')), []);
  });
});
