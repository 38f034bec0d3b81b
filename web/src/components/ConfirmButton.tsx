import { useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

/**
 * A button that asks before doing something that cannot be undone, in a modal <dialog>
 * (focus moves into it and Escape cancels, as the browser does for modal dialogs). The
 * dialog is rendered at the end of <body>, not next to the button, so it inherits nothing
 * from where the button sits (a table cell's `white-space: nowrap` cut its question off).
 */
export function ConfirmButton({ label, question, confirm, onConfirm, disabled, className = 'danger' }: { label: ReactNode; question: ReactNode; confirm: string; onConfirm(): void; disabled?: boolean; className?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = () => dialog.current?.close();
  return (
    <>
      <button type="button" className={className} disabled={disabled} onClick={() => dialog.current?.showModal()}>
        {label}
      </button>
      {createPortal(
        <dialog ref={dialog} className="confirm">
          <p>{question}</p>
          <div className="row">
            <button type="button" className="danger" onClick={() => (close(), onConfirm())}>
              {confirm}
            </button>
            <button type="button" autoFocus onClick={close}>
              Cancel
            </button>
          </div>
        </dialog>,
        document.body,
      )}
    </>
  );
}
