/** "Copy as curl": the request as a shell command, with the key left as $VECTRA_API_KEY (never pasted in). */

/** Single-quote for POSIX shells: ' becomes '\'' */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function curlCommand(origin: string, method: string, path: string, body?: unknown): string {
  const parts = [`curl -s -X ${method} ${shellQuote(origin + path)}`, `-H "authorization: Bearer $VECTRA_API_KEY"`];
  if (body !== undefined) parts.push(`-H 'content-type: application/json'`, `-d ${shellQuote(JSON.stringify(body))}`);
  return parts.join(' \\\n  ');
}
