/**
 * The webhook SSRF guard (create-time check and connect-time lookup, against DNS rebinding),
 * and the small rules of delivery: Retry-After parsing, backoff bounds, one event per write.
 */
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { after, describe, it } from 'node:test';
import { postOnce, retryAfterMs } from '../../src/realtime/webhooks/attempt.js';
import { backoffMs } from '../../src/realtime/webhooks/dispatcher.js';
import { MAX_IDS_PER_EVENT, writeEvents } from '../../src/realtime/webhooks/pump.js';
import { addressProblem, checkWebhookUrl, type Resolver } from '../../src/realtime/webhooks/url-guard.js';
import { localHttp } from '../support/net.js';

const PUBLIC = '93.184.215.14';
const answers = (...addresses: string[]): Resolver => async () => addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refused(url: string, resolve?: Resolver): Promise<string> {
  const e = await checkWebhookUrl(url, { allowPrivate: false, resolve }).then(
    () => null,
    (err: { code: string; message: string }) => err,
  );
  assert.ok(e, `${url} was accepted`);
  assert.equal(e.code, 'WEBHOOK_URL_FORBIDDEN', `${url}: ${e.message}`);
  assert.match(e.message, /VECTRA_WEBHOOK_ALLOW_PRIVATE=true/);
  return e.message;
}

describe('webhook URL guard', () => {
  it('classifies addresses: only public unicast passes', () => {
    const bad: Record<string, RegExp> = {
      '127.0.0.1': /loopback/,
      '::1': /loopback/,
      '::ffff:127.0.0.1': /127\.0\.0\.1 is a loopback/,
      '::ffff:169.254.169.254': /linkLocal/,
      '0.0.0.0': /unspecified/,
      '::': /unspecified/,
      '169.254.169.254': /linkLocal/,
      '10.0.0.8': /private/,
      '172.16.5.4': /private/,
      '192.168.1.1': /private/,
      '100.64.0.1': /carrierGradeNat/,
      'fc00::1': /uniqueLocal/,
      'fd12:3456::1': /uniqueLocal/,
      'fe80::1': /linkLocal/,
      '224.0.0.1': /multicast/,
      'ff02::1': /multicast/,
      '240.0.0.1': /reserved/,
      '255.255.255.255': /broadcast/,
      '192.0.2.1': /reserved/,
      '64:ff9b::7f00:1': /rfc6052/,
      '2002:7f00:1::': /6to4/,
      // http://[::127.0.0.1]/ parses to this; ipaddr.js calls it unicast (found in review)
      '::7f00:1': /IPv4-compatible/,
    };
    for (const [ip, why] of Object.entries(bad)) assert.match(addressProblem(ip) ?? 'allowed', why, ip);
    for (const ip of [PUBLIC, '8.8.8.8', '2606:4700:4700::1111']) assert.equal(addressProblem(ip), null, ip);
  });

  it('refuses loopback, private and metadata hosts in every spelling, after resolving names', async () => {
    assert.match(await refused('http://localhost:8080/hook'), /"localhost" resolves to .*loopback/);
    assert.match(await refused('http://[::ffff:127.0.0.1]/'), /loopback/);
    assert.match(await refused('http://[::1]:9000/'), /loopback/);
    assert.match(await refused('http://0.0.0.0/'), /unspecified/);
    for (const decimalOrOctal of ['http://2130706433/', 'http://0177.0.0.1/', 'http://0x7f.1/', 'http://127.1/']) assert.match(await refused(decimalOrOctal), /127\.0\.0\.1 is a loopback/, decimalOrOctal);
    assert.match(await refused('http://169.254.169.254/latest/meta-data/'), /linkLocal/);
    assert.match(await refused('https://internal.example/', answers('10.1.2.3')), /private/);
    // One bad address among good ones is enough: the connection may pick any.
    assert.match(await refused('https://mixed.example/', answers(PUBLIC, '127.0.0.1')), /loopback/);
    assert.match(await refused('file:///etc/passwd'), /scheme "file"/);
    assert.match(await refused('https://me:secret@hooks.example/'), /credentials/);
  });

  it('accepts public hosts, and anything when private addresses are allowed', async () => {
    assert.equal((await checkWebhookUrl('https://hooks.example/in', { allowPrivate: false, resolve: answers(PUBLIC) })).hostname, 'hooks.example');
    assert.equal((await checkWebhookUrl(`http://${PUBLIC}/`, { allowPrivate: false })).hostname, PUBLIC);
    assert.ok(await checkWebhookUrl('http://127.0.0.1:9/', { allowPrivate: true }));
    await assert.rejects(checkWebhookUrl('https://nowhere.example/', { allowPrivate: false, resolve: async () => Promise.reject(Object.assign(new Error('no'), { code: 'ENOTFOUND' })) }), /does not resolve \(ENOTFOUND\)/);
  });

  describe('at connect time', () => {
    const hits: string[] = [];
    let receiver: Awaited<ReturnType<typeof localHttp>>;
    after(() => receiver?.close());
    const opts = { timeoutMs: 2000, userAgent: 'test' };

    it('a name that resolved to a public address at creation but to loopback now is not connected to (DNS rebinding)', async () => {
      receiver = await localHttp((req, res) => {
        hits.push(req.url ?? '');
        res.writeHead(200).end();
      });
      const port = new URL(receiver.url).port;
      let calls = 0;
      const rebinding = (_host: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => cb(null, [{ address: calls++ === 0 ? PUBLIC : '127.0.0.1', family: 4 }]);
      const url = `http://rebind.example:${port}/hook`;
      // Creation: the first answer is public, the URL passes.
      await checkWebhookUrl(url, {
        allowPrivate: false,
        resolve: (h) => new Promise((res) => rebinding(h, {}, (_e, a) => res(a))),
      });
      // Delivery: the second answer is loopback, the socket is never opened.
      const r = await postOnce(url, '{}', {}, { ...opts, allowPrivate: false, lookup: rebinding });
      assert.equal(r.ok, false);
      assert.match(r.error ?? '', /refused to connect to rebind\.example: 127\.0\.0\.1 is a loopback address/);
      // A literal address skips DNS: it is judged before connecting.
      const literal = await postOnce(`http://127.0.0.1:${port}/`, '{}', {}, { ...opts, allowPrivate: false });
      assert.match(literal.error ?? '', /refused to connect: 127\.0\.0\.1 is a loopback/);
      assert.deepEqual(hits, []);
      // The same receiver is reachable when private addresses are allowed.
      assert.deepEqual((await postOnce(`http://127.0.0.1:${port}/ok`, '{}', {}, { ...opts, allowPrivate: true })).statusCode, 200);
      assert.deepEqual(hits, ['/ok']);
    });
  });
});

describe('delivery rules', () => {
  it('an attempt without an answer in time fails, naming the deadline', async () => {
    const silent = await localHttp(() => undefined);
    try {
      const started = Date.now();
      const r = await postOnce(silent.url, '{}', {}, { timeoutMs: 150, userAgent: 'test', allowPrivate: true });
      assert.deepEqual([r.ok, r.statusCode, r.error], [false, null, 'no answer within 150 ms']);
      assert.ok(Date.now() - started < 1000);
    } finally {
      await silent.close();
    }
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    assert.equal(retryAfterMs('30', now), 30_000);
    assert.equal(retryAfterMs('Tue, 01 Dec 2026 12:00:10 GMT', now), 10_000);
    assert.equal(retryAfterMs('Tue, 01 Dec 2026 11:00:00 GMT', now), 0);
    assert.equal(retryAfterMs('soon', now), null);
    assert.equal(retryAfterMs(undefined, now), null);
  });

  it('backs off exponentially with full jitter, capped', () => {
    assert.equal(backoffMs(1, 100, 10_000, () => 0), 0);
    assert.equal(backoffMs(1, 100, 10_000, () => 0.999), 99);
    assert.equal(backoffMs(4, 100, 10_000, () => 0.999), 799);
    assert.equal(backoffMs(40, 100, 10_000, () => 0.999), 9990);
  });

  it('makes one event per write, split at MAX_IDS_PER_EVENT ids', () => {
    const rows = [
      ...[1, 2].map((seq) => ({ seq, tx: 1, op: 'upsert' as const, id: `a${seq}`, at: 1000 })),
      { seq: 3, tx: 3, op: 'delete' as const, id: 'a1', at: 2000 },
      ...Array.from({ length: MAX_IDS_PER_EVENT + 5 }, (_, i) => ({ seq: 4 + i, tx: 4, op: 'upsert' as const, id: `b${i}`, at: 3000 })),
    ];
    const events = writeEvents('c', rows);
    assert.deepEqual(
      events.map((e) => [e.type, e.data.ids.length, e.data.fromSeq, e.data.seq, e.at]),
      [
        ['record.upserted', 2, 1, 2, 1000],
        ['record.deleted', 1, 3, 3, 2000],
        ['record.upserted', MAX_IDS_PER_EVENT, 4, 3 + MAX_IDS_PER_EVENT, 3000],
        ['record.upserted', 5, 4 + MAX_IDS_PER_EVENT, 8 + MAX_IDS_PER_EVENT, 3000],
      ],
    );
  });
});
