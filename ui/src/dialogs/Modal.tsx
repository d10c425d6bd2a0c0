// A modal dialog frame: dimmed backdrop, a titled box, Escape to cancel, focus kept inside.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** Props of a modal. */
export interface ModalProps {
  title: string;
  testid: string;
  onCancel?: () => void;
  wide?: boolean;
  tone?: "normal" | "danger";
  children: ComponentChildren;
}

/** A modal dialog. */
export function Modal({ title, testid, onCancel, wide, tone, children }: ModalProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    // An explicit choice first, then the first field, then the first button.
    const first =
      el.querySelector<HTMLElement>("[data-autofocus]") ??
      el.querySelector<HTMLElement>("input, textarea") ??
      el.querySelector<HTMLElement>("button");
    first?.focus();
  }, []);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape" && onCancel) {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    }
  };
  return (
    <div class="modal-backdrop" onKeyDown={onKey}>
      <div
        ref={box}
        class={`modal ${wide ? "wide" : ""} ${tone === "danger" ? "danger" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid={testid}
      >
        <h2 class="modal-title">{title}</h2>
        {children}
      </div>
    </div>
  );
}
