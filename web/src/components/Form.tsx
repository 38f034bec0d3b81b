/** The end of every form: what is wrong (checked here, or the API's error), what was done, and the submit button. */
import { useState, type ReactNode } from 'react';
import { ErrorNote } from './ErrorNote';

export function FormEnd({ busy, label, busyLabel, problem, error, done, children }: { busy: boolean; label: string; busyLabel: string; problem?: string | null; error?: { code: string; message: string } | null; done?: ReactNode; children?: ReactNode }) {
  return (
    <>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <ErrorNote error={error} />
      {done && (
        <p role="status" className="ok">
          {done}
        </p>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? busyLabel : label}
        </button>
        {children}
      </div>
    </>
  );
}

/** A set of chosen ids (checkboxes); null until the user first changes it, so a default can follow loaded data. */
export function useChoice(fallback: Iterable<string>): [Set<string>, (id: string) => void] {
  const [picked, setPicked] = useState<Set<string> | null>(null);
  const chosen = picked ?? new Set(fallback);
  const toggle = (id: string) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setPicked(next);
  };
  return [chosen, toggle];
}

/** Checkboxes in a fieldset; an option that cannot be chosen is shown disabled (its label saying why). */
export function CheckboxGroup({ legend, options, chosen, onToggle }: { legend: string; options: { id: string; label: ReactNode; disabled?: boolean }[]; chosen: Set<string>; onToggle(id: string): void }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.id} className="check">
          <input type="checkbox" checked={chosen.has(o.id)} disabled={o.disabled} onChange={() => onToggle(o.id)} /> {o.label}
        </label>
      ))}
    </fieldset>
  );
}
