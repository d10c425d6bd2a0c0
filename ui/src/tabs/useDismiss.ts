// Closing a pop-up menu: on the next click anywhere, on Escape, or when the window loses focus.
import { useEffect } from "preact/hooks";

/** Calls `onClose` on the next click (after the one that opened the menu), Escape or blur. */
export function useDismiss(onClose: () => void): void {
  useEffect(() => {
    const close = () => onClose();
    const key = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    // The click that opened the menu is still bubbling: listen from the next tick on.
    const t = setTimeout(() => {
      window.addEventListener("click", close);
      window.addEventListener("blur", close);
      window.addEventListener("keydown", key);
    });
    return () => {
      clearTimeout(t);
      window.removeEventListener("click", close);
      window.removeEventListener("blur", close);
      window.removeEventListener("keydown", key);
    };
  }, [onClose]);
}
