/**
 * SSRF guard for webhook URLs. A webhook makes the server send requests where a tenant says,
 * so by default it may only reach public unicast addresses: not loopback, private, link-local
 * (169.254.169.254, the cloud metadata service), unique-local, CGNAT, unspecified, multicast,
 * reserved, nor IPv4-mapped/NAT64/6to4/Teredo forms that embed such an address.
 *
 * The check runs twice: when a webhook is created or updated (a clear 400 for the caller) and
 * again inside each connection's DNS lookup (`guardedLookup`), so a name that resolved to a
 * public address at creation and to 127.0.0.1 later (DNS rebinding) is still refused: the
 * socket only ever connects to an address that passed.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { VectraError } from '../../errors.js';

/** The setting that lifts the guard, named in every refusal. */
export const ALLOW_PRIVATE_ENV = 'VECTRA_WEBHOOK_ALLOW_PRIVATE';

/** (hostname, all addresses) → the addresses it resolves to; dns.lookup by default. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** Why this IP address may not be reached (its range's name), or null when it is public unicast. */
export function addressProblem(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'is not an IP address';
  // process() turns ::ffff:a.b.c.d into a.b.c.d, so a mapped loopback is judged as loopback.
  const ip = ipaddr.process(address);
  const range = ip.range();
  // ::a.b.c.d (IPv4-compatible, deprecated; http://[::127.0.0.1]/ parses to ::7f00:1) is
  // "unicast" to ipaddr.js, but it embeds an IPv4 address: refused like the mapped forms.
  if (range !== 'unicast') return `${ip.toString()} is a ${range} address`;
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) return `${ip.toString()} is an IPv4-compatible address`;
  return null;
}

function forbidden(url: string, why: string): VectraError {
  return new VectraError('WEBHOOK_URL_FORBIDDEN', `webhook url ${url} is refused: ${why}; webhooks may only reach public addresses (set ${ALLOW_PRIVATE_ENV}=true on the server to allow loopback and private networks)`);
}

/** The URL's host as a bare name or address (URL keeps IPv6 literals in brackets). */
function hostOf(u: URL): string {
  return u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
}

/**
 * Parse and check a webhook URL: http(s), no credentials, and (unless `allowPrivate`) every
 * address its host resolves to is public. WHATWG URL parsing already turns decimal, octal and
 * hex IPv4 forms (http://2130706433/, http://0177.0.0.1/) into dotted quads, so they are
 * judged as the address they are.
 */
export async function checkWebhookUrl(raw: string, opts: { allowPrivate: boolean; resolve?: Resolver }): Promise<URL> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new VectraError('INVALID_ARGUMENT', `url "${raw}" is not an absolute URL (e.g. https://example.com/hooks/vectra)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw forbidden(raw, `the scheme "${u.protocol.slice(0, -1)}" is not http or https`);
  if (u.username !== '' || u.password !== '') throw forbidden(raw, 'it carries credentials (user:password@); verify the signature instead');
  if (opts.allowPrivate) return u;
  const host = hostOf(u);
  if (isIP(host)) {
    const problem = addressProblem(host);
    if (problem) throw forbidden(raw, problem);
    return u;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await (opts.resolve ?? systemResolver)(host);
  } catch (e) {
    throw new VectraError('INVALID_ARGUMENT', `webhook url ${raw}: the host "${host}" does not resolve (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // Every address must pass: the connection may use any of them.
  for (const a of addresses) {
    const problem = addressProblem(a.address);
    if (problem) throw forbidden(raw, `"${host}" resolves to ${problem}`);
  }
  if (addresses.length === 0) throw new VectraError('INVALID_ARGUMENT', `webhook url ${raw}: the host "${host}" resolves to no address`);
  return u;
}

/** Judge an IP literal host at connect time (sockets to a literal skip the lookup below). */
export function literalHostProblem(u: URL): string | null {
  const host = hostOf(u);
  return isIP(host) ? addressProblem(host) : null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses forbidden addresses: the connection is made to
 * what this returns, so what is checked is what is connected to. `base` is dns.lookup unless
 * a test gives another.
 */
export function guardedLookup(base: (hostname: string, options: LookupAllOptions, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void = dnsLookup): LookupFunction {
  const fn = (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    base(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const problem = addressProblem(a.address);
        if (problem) {
          const e: NodeJS.ErrnoException = new Error(`refused to connect to ${hostname}: ${problem} (set ${ALLOW_PRIVATE_ENV}=true to allow)`);
          e.code = 'WEBHOOK_ADDRESS_FORBIDDEN';
          return callback(e, []);
        }
      }
      if ((options as LookupAllOptions).all) return callback(null, addresses);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} resolves to no address`), { code: 'ENOTFOUND' }), []);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
  return fn as unknown as LookupFunction;
}
