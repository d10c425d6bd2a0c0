// The live terminal controllers by pane id, so shortcuts, settings changes and session actions
// can reach the terminal of a pane.
import type { TerminalController } from "./controller";

const controllers = new Map<string, TerminalController>();

/** Registers a pane's controller. */
export function register(pane_id: string, c: TerminalController): void {
  controllers.set(pane_id, c);
}

/** Removes a pane's controller (if it is still this one). */
export function unregister(pane_id: string, c: TerminalController): void {
  if (controllers.get(pane_id) === c) controllers.delete(pane_id);
}

/** A pane's controller. */
export function controllerOf(pane_id: string): TerminalController | undefined {
  return controllers.get(pane_id);
}

/** Every live controller. */
export function allControllers(): IterableIterator<TerminalController> {
  return controllers.values();
}
