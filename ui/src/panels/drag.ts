// One pointer drag on a divider bar (pane dividers, side panel edges): the bar captures the
// pointer, `move` gets every move until the button is released or the drag is cancelled, then
// `done` runs and the listeners go.

/** Follows the drag that `down` (a left-button press on a bar) starts. */
export function followDrag(down: PointerEvent, move: (ev: PointerEvent) => void, done: () => void = () => {}): void {
  const bar = down.currentTarget as HTMLElement;
  down.preventDefault();
  bar.setPointerCapture(down.pointerId);
  const up = () => {
    bar.removeEventListener("pointermove", move);
    bar.removeEventListener("pointerup", up);
    bar.removeEventListener("pointercancel", up);
    done();
  };
  bar.addEventListener("pointermove", move);
  bar.addEventListener("pointerup", up);
  bar.addEventListener("pointercancel", up);
}
