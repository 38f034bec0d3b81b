/**
 * Chat: ask questions of one or more collections (those with a text model) and read the answer
 * as it streams in (POST /v1/chat, stream: true), its `[n]` markers opening their sources;
 * follow-ups continue the conversation; past conversations listed, reopened, deleted; files
 * uploaded into a collection with a progress bar, to ask about.
 */
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useVectra } from '../session';
import { asApiError, useAction, useLoad } from '../lib/hooks';
import { askedTurn, askStreamed, chatBody, chattable, citedCollections, turnsOf, turnWith, type ChatEvent, type ChatForm, type Turn } from '../lib/chat';
import { count, when } from '../lib/format';
import { ChatTurn } from '../components/ChatTurn';
import { ErrorNote } from '../components/ErrorNote';
import { NumberField, SelectField, TextArea, type Choice } from '../components/Fields';
import { CheckboxGroup, FormEnd } from '../components/Form';
import { ItemTable } from '../components/ItemTable';
import { UploadDocument } from '../components/UploadDocument';

const MODES: Choice[] = [
  { value: 'hybrid', hint: 'by meaning and by words, the two rankings fused' },
  { value: 'dense', hint: 'by meaning: the nearest vectors' },
  { value: 'keyword', hint: 'by words (BM25)' },
];

export function Chat() {
  const vectra = useVectra();
  const [params] = useSearchParams();
  const collections = useLoad(() => vectra.collections.list(), [vectra]);
  const llms = useLoad(() => vectra.llms(), [vectra]);
  const conversations = useLoad(() => vectra.conversations.list(), [vectra]);
  const all = collections.data ?? [];
  const names = all.filter(chattable).map((c) => c.name);

  // The collections asked: the user's pick once made, else the one in the address, else the first that can be asked.
  const [picked, setPicked] = useState<string[] | null>(null);
  const asked = params.get('collection');
  const fallback = asked && names.includes(asked) ? [asked] : names.slice(0, 1);
  const chosen = (picked ?? fallback).filter((n) => names.includes(n));
  const toggle = (n: string) => setPicked(chosen.includes(n) ? chosen.filter((c) => c !== n) : [...chosen, n]);

  const defaultLlm = llms.data?.find((l) => l.default)?.id ?? '';
  const [options, setOptions] = useState<Omit<ChatForm, 'collections'>>({ k: '', mode: 'hybrid', llm: '' });
  const set = <K extends keyof typeof options>(k: K) => (v: (typeof options)[K]) => setOptions((o) => ({ ...o, [k]: v }));

  const [turns, setTurns] = useState<Turn[]>([]);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [question, setQuestion] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  // Bumped when another conversation is shown: its turns start with no source open.
  const [shown, setShown] = useState(0);
  const acting = useAction();
  // The stream being read: closed by a new conversation, by opening another, and by leaving the page.
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);
  const streaming = turns.some((t) => t.state === 'streaming');

  const stop = () => {
    running.current?.abort();
    running.current = null;
  };
  const startOver = () => {
    stop();
    setTurns([]);
    setConversationId(null);
    setProblem(null);
    setShown((n) => n + 1);
  };

  const ask = async (e: FormEvent) => {
    e.preventDefault();
    // Enter submits the form even while the button is disabled.
    if (streaming) return;
    const built = chatBody({ ...options, collections: chosen }, question, conversationId, defaultLlm);
    setProblem(built.error);
    if (built.body === null) return;
    const asking = question;
    setQuestion('');
    const index = turns.length;
    setTurns((ts) => [...ts, askedTurn(built.body.messages[0].content)]);
    const ctrl = new AbortController();
    running.current = ctrl;
    const update = (ev: ChatEvent) => {
      if (running.current === ctrl) setTurns((ts) => ts.map((t, i) => (i === index ? turnWith(t, ev) : t)));
    };
    try {
      const answer = await askStreamed(vectra, built.body, ctrl.signal, update);
      setConversationId(answer.conversationId);
      conversations.reload();
    } catch (err) {
      if (ctrl.signal.aborted) return;
      update({ type: 'error', error: asApiError(err) });
      // The question comes back to be asked again (unless another is being typed).
      setQuestion((q) => q || asking);
    } finally {
      if (running.current === ctrl) running.current = null;
    }
  };
  const enterAsks = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== 'Enter' || e.shiftKey || e.nativeEvent.isComposing) return;
    e.preventDefault();
    e.currentTarget.form?.requestSubmit();
  };

  const open = async (id: string) => {
    const c = await acting.run(() => vectra.conversations.get(id));
    // Not found: the conversation shown (an answer still streaming too) stays as it is.
    if (!c) return;
    stop();
    const read = turnsOf(c);
    setTurns(read);
    setConversationId(c.id);
    setProblem(null);
    setShown((n) => n + 1);
    // Follow-ups go to the collections its answers came from, when they can still be asked.
    const cited = citedCollections(read).filter((n) => names.includes(n));
    if (cited.length > 0) setPicked(cited);
  };
  const remove = async (id: string) => {
    if ((await acting.run(() => vectra.conversations.delete(id).then(() => true))) === undefined) return;
    if (id === conversationId) startOver();
    conversations.reload();
  };

  const withoutModel = all.filter((c) => !chattable(c));
  const past = conversations.data ?? [];
  const last = turns[turns.length - 1];
  return (
    <>
      <h1 tabIndex={-1}>Chat</h1>
      <p className="muted">
        Ask your collections a question: the answer comes from the passages found (<code>POST /v1/chat</code>), each sentence marked with its source <code>[n]</code>; click a marker to read the passage. Follow-up questions continue the conversation.
      </p>
      <ErrorNote error={collections.error} />
      {collections.data && names.length === 0 && (
        <p className="empty">
          No collection to ask: chat needs a collection with a text model. <Link to="/collections">Create one</Link> (the default model will do), then come back to upload files into it and ask.
        </p>
      )}
      <section aria-labelledby="conversation-h">
        <div className="chat-head">
          <h2 id="conversation-h">{conversationId ? 'Conversation' : 'New conversation'}</h2>
          <button type="button" onClick={startOver} disabled={turns.length === 0 && !conversationId}>
            New conversation
          </button>
        </div>
        {turns.length === 0 ? (
          <p className="empty">Ask a question below: the answer streams in here, with its sources.</p>
        ) : (
          <ol className="turns" aria-label="Questions and answers">
            {turns.map((t, i) => (
              <ChatTurn key={`${shown}-${i}`} turn={t} index={i} />
            ))}
          </ol>
        )}
        <p role="status" className="sr-only">
          {last?.state === 'streaming' ? 'Answering…' : last?.state === 'done' && last.meta ? `Answered, with ${count(last.citations.length)} source${last.citations.length === 1 ? '' : 's'}.` : ''}
        </p>
        <form className="card" onSubmit={ask} aria-label="Ask">
          <CheckboxGroup
            legend="Ask collections"
            chosen={new Set(chosen)}
            onToggle={toggle}
            options={[
              ...names.map((n) => ({ id: n, label: n })),
              ...withoutModel.map((c) => ({
                id: c.name,
                disabled: true,
                // One span: the reason flows as text beside the box, not as a column of its own.
                label: (
                  <span>
                    {c.name} <span className="muted">(no text model: created with model “none”, it holds vectors only and cannot be asked in words)</span>
                  </span>
                ),
              })),
            ]}
          />
          <TextArea label="Question" rows={2} value={question} onChange={setQuestion} onKeyDown={enterAsks} placeholder={turns.length ? 'A follow-up question…' : 'How often should I descale the machine?'} hint="Enter asks; Shift+Enter starts a new line." />
          <details className="options">
            <summary>Options</summary>
            <div className="form-grid">
              <NumberField label="Passages (k)" value={options.k} onChange={set('k')} min={1} max={50} step={1} placeholder="5" hint="How many passages are retrieved to answer from." />
              <SelectField label="Retrieval" value={options.mode} onChange={(v) => set('mode')(v as ChatForm['mode'])} choices={MODES} />
              {llms.data && (
                <SelectField
                  label="Answer with"
                  value={options.llm || defaultLlm}
                  onChange={set('llm')}
                  choices={llms.data.map((l) => ({ value: l.id, label: l.available ? l.id : `${l.id} (unavailable)`, disabled: !l.available, hint: l.id === 'extractive' ? 'quotes the sentences of your documents that answer (no LLM)' : `${l.provider} model` }))}
                />
              )}
            </div>
          </details>
          <FormEnd busy={streaming} label="Ask" busyLabel="Answering…" problem={problem} />
        </form>
      </section>
      <div className="grid2">
        <section className="card" aria-labelledby="past-h">
          <h2 id="past-h">Past conversations</h2>
          <ErrorNote error={conversations.error ?? acting.error} />
          {conversations.data && past.length === 0 ? (
            <p className="empty">None yet: every question asked starts or continues one.</p>
          ) : (
            <ItemTable
              caption="Past conversations, the latest first"
              testId="conversations"
              items={past}
              itemKey={(c) => c.id}
              rowData={(c) => ({ 'data-conversation': c.id })}
              columns={[
                {
                  head: 'Conversation',
                  cell: (c) => (
                    <button type="button" className="link" aria-current={c.id === conversationId} onClick={() => void open(c.id)}>
                      {c.title}
                    </button>
                  ),
                },
                { head: 'Messages', num: true, cell: (c) => count(c.messages) },
                { head: 'Updated', cell: (c) => when(c.updatedAt) },
              ]}
              removal={{ verb: 'Delete', name: (c) => c.title, question: (c) => <>Delete the conversation “{c.title}” and its {count(c.messages)} messages?</>, busy: acting.busy, onConfirm: (c) => void remove(c.id) }}
            />
          )}
        </section>
        {names.length > 0 && <UploadDocument collections={names} initial={chosen[0] ?? ''} onUploaded={collections.reload} />}
      </div>
    </>
  );
}
