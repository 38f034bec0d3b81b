import { useId } from 'react';
import { checkJson, type JsonRule } from '../lib/json';

/**
 * A JSON text area that says, as you type, whether the text is valid and why not (the
 * parser's message, or what the rule expects). The parent keeps the text and asks
 * checkJson again when it submits.
 */
export function JsonEditor({ label, value, onChange, rule = 'any', rows = 8, hint }: { label: string; value: string; onChange(v: string): void; rule?: JsonRule; rows?: number; hint?: string }) {
  const id = useId();
  const problem = value.trim() === '' ? null : checkJson(value, rule).error;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        className="code"
        rows={rows}
        spellCheck={false}
        value={value}
        aria-invalid={problem !== null}
        aria-describedby={`${id}-msg`}
        onChange={(e) => onChange(e.target.value)}
      />
      <small id={`${id}-msg`} className={problem ? 'invalid' : 'muted'}>
        {problem ?? hint ?? ''}
      </small>
    </div>
  );
}
