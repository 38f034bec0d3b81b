/** Labelled form fields (label tied to its control, so clicks and screen readers find it), each with an optional hint under it. */
import { useId, type KeyboardEventHandler, type ReactNode } from 'react';

/** The hint under a field, and the control's aria-describedby pointing at it. */
function useHint(hint: ReactNode): { id: string; describedBy: string | undefined; note: ReactNode } {
  const id = useId();
  return {
    id,
    describedBy: hint ? `${id}-hint` : undefined,
    note: hint ? (
      <small id={`${id}-hint`} className="muted">
        {hint}
      </small>
    ) : null,
  };
}

/** An option of a select: a short label (a closed select shows only what fits), and what it means. */
export interface Choice {
  value: string;
  /** Defaults to the value. */
  label?: string;
  /** Shown under the select while this option is chosen. */
  hint?: string;
  disabled?: boolean;
}

/**
 * A select. Options are given as `choices` (short labels, the chosen one's meaning shown
 * under the select) or as children; `wide` takes two columns of a form grid.
 */
export function SelectField({ label, value, onChange, choices, children, hint, wide }: { label: string; value: string; onChange(v: string): void; choices?: Choice[]; children?: ReactNode; hint?: ReactNode; wide?: boolean }) {
  const { id, describedBy, note } = useHint(hint ?? choices?.find((c) => c.value === value)?.hint);
  return (
    <div className={wide ? 'field wide' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy}>
        {choices?.map((c) => (
          <option key={c.value} value={c.value} disabled={c.disabled}>
            {c.label ?? c.value}
          </option>
        ))}
        {children}
      </select>
      {note}
    </div>
  );
}

export function NumberField({ label, value, onChange, min, max, step, required, placeholder, hint }: { label: string; value: string; onChange(v: string): void; min?: number; max?: number; step?: number | 'any'; required?: boolean; placeholder?: string; hint?: ReactNode }) {
  const { id, describedBy, note } = useHint(hint);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="number" inputMode="decimal" min={min} max={max} step={step} required={required} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy} />
      {note}
    </div>
  );
}

export function TextField({ label, value, onChange, required, placeholder, hint }: { label: string; value: string; onChange(v: string): void; required?: boolean; placeholder?: string; hint?: string }) {
  const { id, describedBy, note } = useHint(hint);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} required={required} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy} />
      {note}
    </div>
  );
}

/** A checkbox with its label beside it and what it does under it. */
export function CheckField({ label, checked, onChange, hint }: { label: string; checked: boolean; onChange(v: boolean): void; hint?: ReactNode }) {
  const { id, describedBy, note } = useHint(hint);
  return (
    <div className="field">
      <label className="check" htmlFor={id}>
        <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} aria-describedby={describedBy} /> {label}
      </label>
      {note}
    </div>
  );
}

export function TextArea({ label, value, onChange, rows = 3, required, placeholder, hint, onKeyDown }: { label: string; value: string; onChange(v: string): void; rows?: number; required?: boolean; placeholder?: string; hint?: ReactNode; onKeyDown?: KeyboardEventHandler<HTMLTextAreaElement> }) {
  const { id, describedBy, note } = useHint(hint);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={rows} required={required} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} onKeyDown={onKeyDown} aria-describedby={describedBy} />
      {note}
    </div>
  );
}
