/** Waiting on a streamed answer's backpressure (src/api/stream-body.ts) leaves no listener behind. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { drainedOrClosed } from '../../src/api/stream-body.js';

const counts = (s: PassThrough) => ({ drain: s.listenerCount('drain'), close: s.listenerCount('close'), error: s.listenerCount('error') });

describe('drainedOrClosed', () => {
  it('thousands of waits on a full stream: each one removes both its listeners', async () => {
    const out = new PassThrough({ highWaterMark: 16 });
    const before = counts(out);
    // A consumer that reads a little at a time, so that nearly every write has to wait.
    let read = 0;
    const consumer = setInterval(() => {
      while (out.read() !== null) read++;
    }, 0);
    let waits = 0;
    for (let i = 0; i < 5000; i++) {
      if (!out.write(`line ${i}\n`)) {
        waits++;
        await drainedOrClosed(out);
        assert.deepEqual(counts(out), before, `after wait ${waits}`);
      }
    }
    clearInterval(consumer);
    assert.ok(waits > 1000, `${waits} waits`);
    assert.ok(read > 0);
  });

  it('a stream closed while waiting (the client went away) ends the wait, and leaves nothing behind', async () => {
    const out = new PassThrough({ highWaterMark: 4 });
    const before = counts(out);
    assert.equal(out.write('more than four bytes'), false);
    const waiting = drainedOrClosed(out);
    await sleep(5);
    out.destroy();
    await waiting;
    assert.deepEqual(counts(out), before);
    await drainedOrClosed(out); // already closed: does not wait for an event that will not come
  });
});
