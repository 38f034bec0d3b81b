/**
 * Document files over HTTP (POST …/documents/upload): PDF, DOCX, HTML, Markdown and text are
 * stored as chunks that point at their page or section; a re-upload replaces them; every file
 * that cannot be read answers a coded 4xx and stores nothing; tenants stay apart.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { deflateRawSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import { client, errorCode, register, testServer, type Answer } from '../support/server.js';
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
