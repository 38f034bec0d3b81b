/** A row of labelled figures (a description list, so each figure is read with its label). */
import type { ReactNode } from 'react';

export interface Stat {
  label: string;
  value: ReactNode;
  testId?: string;
  extra?: ReactNode;
}

export function Stats({ items, label, big, testId }: { items: (Stat | false | null | undefined)[]; label: string; big?: boolean; testId?: string }) {
  return (
    <dl className={big ? 'stats big' : 'stats'} aria-label={label} data-testid={testId}>
      {items.map(
        (s) =>
          s && (
            <div key={s.label}>
              <dt>{s.label}</dt>
              <dd data-testid={s.testId}>{s.value}</dd>
              {s.extra}
            </div>
          ),
      )}
    </dl>
  );
}
