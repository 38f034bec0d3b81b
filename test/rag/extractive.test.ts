/**
 * The extractive generator: the sentence that answers, with its source marker; nothing from
 * sources that do not hold the answer; headings as context, not as answers; follow-ups.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { condensedQuery } from '../../src/rag/chat.js';
import { contentWords, extractiveAnswer, NOT_IN_SOURCES, sentencesOf } from '../../src/rag/extractive.js';

const passages = [
  { n: 1, text: 'Espresso machine › Cleaning\nDescale the espresso machine every month with citric acid. Rinse the water tank afterwards.', section: 'Espresso machine › Cleaning' },
  { n: 2, text: 'City bike › Price\nThe bike costs 649 euros, with a lock included.', section: 'City bike › Price' },
  { n: 3, text: 'City bike\nThe city bike has seven gears and a hub dynamo. Its frame is aluminium and weighs twelve kilograms.', section: 'City bike' },
];

describe('extractive answers', () => {
  it('splits sentences and keeps the words that carry meaning', () => {
    assert.deepEqual(sentencesOf('One two three. Four five six!\nSeven eight nine? Ten.'), ['One two three.', 'Four five six!', 'Seven eight nine?']);
    // Stems, crude but shared: "machines" and "machine" meet.
    assert.deepEqual([...contentWords('How often should I descale the machines?')], [...contentWords('often descale machine')]);
    assert.deepEqual([...contentWords('How often should I descale the machines?')].length, 3);
  });

  it('answers with the sentence that holds the answer, marked with its source, and cites nothing else', async () => {
    const a = await extractiveAnswer('How often should I descale the espresso machine?', passages, null);
    assert.equal(a.grounded, true);
    assert.equal(a.answer, 'Descale the espresso machine every month with citric acid. [1]');
    const w = await extractiveAnswer('How much does the bike weigh?', passages, null);
    assert.equal(w.answer, 'Its frame is aluminium and weighs twelve kilograms. [3]');
  });

  it('says the sources do not answer when none of them holds a word of the question', async () => {
    const a = await extractiveAnswer('What is the capital of Peru?', passages, null);
    assert.deepEqual([a.answer, a.grounded, a.sentences], [NOT_IN_SOURCES, false, []]);
    assert.equal((await extractiveAnswer('the of and?', passages, null)).grounded, false);
    assert.equal((await extractiveAnswer('bike', [], null)).grounded, false);
  });

  it('never answers with a heading, but a heading tells what its sentences are about; follow-ups lean on the question before', async () => {
    const price = await extractiveAnswer('and its price?', passages, null, { context: 'tell me about the city bike' });
    assert.equal(price.answer, 'The bike costs 649 euros, with a lock included. [2]');
    const messages = [
      { role: 'user' as const, content: 'tell me about the city bike' },
      { role: 'assistant' as const, content: '…' },
      { role: 'user' as const, content: 'and its price?' },
    ];
    assert.equal(condensedQuery(messages), 'tell me about the city bike and its price?');
    assert.equal(condensedQuery([{ role: 'user', content: 'how heavy is the city bike frame?' }]), 'how heavy is the city bike frame?');
  });
});
