/** Labelled facts in a wrapping row (a description list, so each value is read with its label): a webhook's, a chat source's. */
import type { ReactNode } from 'react';

export function Facts({ items }: { items: ([label: string, value: ReactNode] | false | null | undefined)[] }) {
  return (
    <dl className="facts">
      {items.map(
        (f) =>
          f && (
            <div key={f[0]}>
              <dt>{f[0]}</dt>
              <dd>{f[1]}</dd>
            </div>
          ),
      )}
    </dl>
  );
}
