/**
 * A table of the things a page manages (collections, keys, models): one row an item, the first
 * column its row header, and an actions column with the page's own links and the button that
 * removes an item after asking (ConfirmButton). The page keeps its columns, its states around
 * the table and its create form.
 */
import type { ReactNode } from 'react';
import { ConfirmButton } from './ConfirmButton';

export interface Column<T> {
  head: string;
  cell(item: T): ReactNode;
  /** A figure: right-aligned (`num`). */
  num?: boolean;
  /** The cell's data-testid. */
  testId?: string;
}

/** Removing an item: the button says `verb` (and the item's name to screen readers), the dialog asks `question`. */
export interface Removal<T> {
  verb: string;
  name(item: T): string;
  question(item: T): ReactNode;
  busy: boolean;
  onConfirm(item: T): void;
}

export function ItemTable<T>({
  caption,
  items,
  itemKey,
  rowData,
  columns,
  actions,
  removal,
  testId,
}: {
  /** Said to screen readers only. */
  caption: string;
  items: T[];
  itemKey(item: T): string;
  /** The row's data-* attributes. */
  rowData(item: T): Record<`data-${string}`, string>;
  columns: Column<T>[];
  /** The page's own actions, before the removal button. */
  actions?(item: T): ReactNode;
  removal?: Removal<T>;
  testId?: string;
}) {
  const [first, ...rest] = columns;
  const hasActions = actions !== undefined || removal !== undefined;
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.head} scope="col" className={c.num ? 'num' : undefined}>
                {c.head}
              </th>
            ))}
            {hasActions && (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={itemKey(item)} {...rowData(item)}>
              <th scope="row">{first.cell(item)}</th>
              {rest.map((c) => (
                <td key={c.head} className={c.num ? 'num' : undefined} data-testid={c.testId}>
                  {c.cell(item)}
                </td>
              ))}
              {hasActions && (
                <td className="actions">
                  {/* The cell stays a table cell (its borders line up with the row); the inner box lays out the buttons. */}
                  <div className="actions-row">
                    {actions?.(item)}
                    {removal && <RemoveButton removal={removal} item={item} />}
                  </div>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RemoveButton<T>({ removal, item }: { removal: Removal<T>; item: T }) {
  const name = removal.name(item);
  return (
    <ConfirmButton
      label={<>{removal.verb}<span className="sr-only"> {name}</span></>}
      question={removal.question(item)}
      confirm={`${removal.verb} ${name}`}
      disabled={removal.busy}
      onConfirm={() => removal.onConfirm(item)}
    />
  );
}
