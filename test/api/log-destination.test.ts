import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { logDestination } from '../../src/log-destination.js';
import { tempDir } from '../support/tmp.js';

describe('the server log destination', () => {
  it('writes a line flushed while a write is in flight once that write is done; buffers the others', async () => {
    const file = join(tempDir(), 'log');
    // No periodic flush within the test: only flushNow may write.
    const { destination, flushNow, stop } = logDestination(file, 4096, 600_000);
    await once(destination as unknown as NodeJS.EventEmitter, 'ready');
    destination.write('listening\n');
    flushNow(); // starts a write
    destination.write('ready\n');
    flushNow(); // a write is in flight: sonic-boom's flush alone would leave this line buffered
    destination.write('request 1\n'); // a request line: buffered, written with the next flush
    await sleep(300);
    assert.equal(readFileSync(file, 'utf8'), 'listening\nready\nrequest 1\n');
    destination.write('request 2\n');
    await sleep(300);
    assert.equal(readFileSync(file, 'utf8'), 'listening\nready\nrequest 1\n', 'a request line alone waits for the next flush');
    flushNow();
    await sleep(300);
    assert.equal(readFileSync(file, 'utf8'), 'listening\nready\nrequest 1\nrequest 2\n');
    stop();
    destination.flushSync();
  });
});
