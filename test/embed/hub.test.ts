/**
 * The hub reachability probe behind "available" for downloadable models: one short request,
 * remembered, bounded in time — tested against local servers and a closed port, never the network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HubProbe } from '../../src/embed/hub.js';
import { closedPortUrl, localHttp } from '../support/net.js';

describe('hub probe', () => {
  it('a hub that answers is reachable; concurrent askers share one request, remembered until its time is up', async () => {
    let requests = 0;
    const hub = await localHttp((req, res) => {
      requests++;
      assert.equal(req.method, 'HEAD');
      res.writeHead(200).end();
    });
    let now = 0;
    const probe = new HubProbe(hub.url, { reachableTtlMs: 1000, now: () => now });
    const answers = await Promise.all(Array.from({ length: 20 }, () => probe.reach()));
    assert.ok(answers.every((a) => a.reachable));
    assert.equal(requests, 1);
    now = 999;
    await probe.reach();
    assert.equal(requests, 1, 'still fresh');
    now = 1000;
    assert.equal((await probe.reach()).reachable, true);
    assert.equal(requests, 2, 'asked again once stale');
    await hub.close();
  });

  it('a redirect or a 404 still means the host is there; a 5xx does not', async () => {
    let status = 302;
    const hub = await localHttp((_req, res) => res.writeHead(status, { location: '/elsewhere' }).end());
    assert.equal((await new HubProbe(hub.url).reach()).reachable, true);
    status = 404;
    assert.equal((await new HubProbe(hub.url).reach()).reachable, true);
    status = 503;
    assert.deepEqual(await new HubProbe(hub.url).reach(), { reachable: false, why: 'it answered HTTP 503' });
    await hub.close();
  });

  it('a refused connection is unreachable, saying why, and is asked again sooner than a success', async () => {
    let now = 0;
    const probe = new HubProbe(await closedPortUrl(), { unreachableTtlMs: 50, reachableTtlMs: 10_000, now: () => now });
    const a = await probe.reach();
    assert.equal(a.reachable, false);
    assert.match(a.why!, /ECONNREFUSED/);
    now = 49;
    assert.equal(await probe.reach(), a, 'remembered');
    now = 50;
    assert.notEqual(await probe.reach(), a, 'asked again');
  });

  it('a hub that never answers costs at most the timeout', async () => {
    const hub = await localHttp(() => undefined); // accepts, never answers
    const probe = new HubProbe(hub.url, { timeoutMs: 200 });
    const started = performance.now();
    const a = await probe.reach();
    const took = performance.now() - started;
    assert.deepEqual(a, { reachable: false, why: 'no answer within 200 ms' });
    assert.ok(took >= 190 && took < 2000, `took ${took} ms`);
    await hub.close();
  });
});
