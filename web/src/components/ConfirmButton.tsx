import { useRef, type ReactNode } from 'react';

/**
 * A button that asks before doing something that cannot be undone, in a modal <dialog>
 * (focus moves into it and Escape cancels, as the browser does for modal dialogs).
 */
export function ConfirmButton({ label, question, confirm, onConfirm, disabled, className = 'danger' }: { label: ReactNode; question: ReactNode; confirm: string; onConfirm(): void; disabled?: boolean; className?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = () => dialog.current?.close();
  return (
    <>
      <button type="button" className={className} disabled={disabled} onClick={() => dialog.current?.showModal()}>
        {label}
      </button>
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
      </dialog>
    </>
  );
}
