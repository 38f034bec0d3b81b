import { Fragment } from 'react';
import { markedRuns } from '../lib/marks';

/** A highlight fragment: its <mark>s as <mark> elements, the rest as text (never as HTML). */
export function Marked({ text }: { text: string }) {
  return (
    <>
      {markedRuns(text).map((r, i) => (r.marked ? <mark key={i}>{r.text}</mark> : <Fragment key={i}>{r.text}</Fragment>))}
    </>
  );
}
