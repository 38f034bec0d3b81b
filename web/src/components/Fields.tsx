/** Labelled form fields (label tied to its control, so clicks and screen readers find it). */
import { useId, type ReactNode } from 'react';

export function SelectField({ label, value, onChange, children }: { label: string; value: string; onChange(v: string): void; children: ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {children}
      </select>
    </div>
  );
}

export function NumberField({ label, value, onChange, min, max, step, required, placeholder }: { label: string; value: string; onChange(v: string): void; min?: number; max?: number; step?: number | 'any'; required?: boolean; placeholder?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="number" inputMode="decimal" min={min} max={max} step={step} required={required} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}

export function TextField({ label, value, onChange, required, placeholder, hint }: { label: string; value: string; onChange(v: string): void; required?: boolean; placeholder?: string; hint?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} required={required} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={hint ? `${id}-hint` : undefined} />
      {hint && (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      )}
    </div>
  );
}

export function TextArea({ label, value, onChange, rows = 3, required, placeholder }: { label: string; value: string; onChange(v: string): void; rows?: number; required?: boolean; placeholder?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={rows} required={required} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}
