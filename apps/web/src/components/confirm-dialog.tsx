import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A question that must be answered before something irreversible: the browser's own modal
 * <dialog> (focus moved into it and kept there, the page behind inert, Escape cancels, focus back
 * where it was after). Its buttons are a `method="dialog"` form, so the button pressed becomes the
 * dialog's `returnValue`; Cancel comes first, so it is what holds focus when the dialog opens.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** `true` only when the confirming button was pressed: Escape and Cancel both say `false`. */
  onClose: (confirmed: boolean) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) {
      dialog.returnValue = '';
      dialog.showModal();
    }
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      onClose={(event) => onClose(event.currentTarget.returnValue === 'confirm')}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
      <form method="dialog" className="dialog-actions">
        <button type="submit" value="cancel" className="secondary">
          Cancel
        </button>
        <button type="submit" value="confirm">
          {confirmLabel}
        </button>
      </form>
    </dialog>
  );
}
