import { testServer, register, call } from '/work/wt-chat/test/support/server.ts';
const s = await testServer();
const { key } = await register(s.url, 'c');
await call(s.url, 'POST', '/v1/collections', { key, body: { name: 'kb' } });
const docs = [
  { id: 'espresso', text: '# Espresso machine\n## Cleaning\nDescale the espresso machine every month with citric acid. Rinse the water tank afterwards.\n## Warranty\nThe warranty covers the pump for two years. Damage from limescale is not covered.' },
  { id: 'bike', text: '# City bike\nThe city bike has seven gears and a hub dynamo. Its frame is aluminium and weighs twelve kilograms.\n## Price\nThe bike costs 649 euros, with a lock included.' },
];
for (const d of docs) console.log((await call(s.url, 'POST', '/v1/collections/kb/documents', { key, body: { ...d, format: 'markdown' } })).status);
for (const q of ['How often should I descale the espresso machine?', 'How much does the bike weigh?', 'What is the capital of Peru?', 'Is limescale damage covered by the warranty?']) {
  const r = await call(s.url, 'POST', '/v1/chat', { key, body: { collection: 'kb', messages: [{ role: 'user', content: q }] } });
  console.log(q, '\n  →', r.status, r.body.answer, JSON.stringify(r.body.citations?.map((c: any) => [c.n, c.id, c.section])));
}
const first = await call(s.url, 'POST', '/v1/chat', { key, body: { collection: 'kb', messages: [{ role: 'user', content: 'Tell me about the city bike gears' }] } });
const follow = await call(s.url, 'POST', '/v1/chat', { key, body: { collection: 'kb', conversationId: first.body.conversationId, messages: [{ role: 'user', content: 'and its price?' }] } });
console.log('follow-up query:', follow.body.query, '→', follow.body.answer);
await s.close();
