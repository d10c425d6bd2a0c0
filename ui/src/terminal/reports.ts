// Which escape sequences make a terminal answer (a "report" typed back to the program), and a
// filter that swallows them while history is being written.
//
// Programs ask the terminal questions: the cursor position (`CSI 6n`), device attributes
// (`CSI c`, `CSI > c`), modes (`CSI ? … $ p`), colours (`OSC 10/11/12/4 ; ?`), window sizes
// (`CSI 14/16/18 t`), settings (`DCS $ q … ST`), the version (`CSI > q`). xterm.js answers
// through `onData`, like typing. Replayed history holds the questions of programs long gone:
// answering them again would type `2R0;276;0c10;rgb:…` into the live shell. The filter is
// registered on xterm's parser in front of xterm's own handlers; for each question it asks
// `silent()` (history is being written, or another view of the session answers) and, while that
// is true, marks the sequence handled so no answer is made. Other questions fall through to
// xterm and are answered as before.
import type { IDisposable, IFunctionIdentifier, IParser } from "@xterm/xterm";

/** The part of xterm's parser the filter registers on (the same in @xterm/headless). */
export type ReportParser = Pick<IParser, "registerCsiHandler" | "registerDcsHandler" | "registerOscHandler">;

/** CSI sequences whose every form is a question. */
export const CSI_QUERIES: readonly IFunctionIdentifier[] = [
  { final: "c" }, // DA1, primary device attributes
  { prefix: ">", final: "c" }, // DA2, secondary device attributes
  { prefix: "=", final: "c" }, // DA3, tertiary device attributes
  { final: "n" }, // DSR: status (5n), cursor position (6n)
  { prefix: "?", final: "n" }, // DEC DSR: extended cursor position (?6n) and other DEC status reports
  { intermediates: "$", final: "p" }, // DECRQM, ANSI modes
  { prefix: "?", intermediates: "$", final: "p" }, // DECRQM, DEC private modes
  { prefix: ">", final: "q" }, // XTVERSION
  { prefix: "?", final: "u" }, // kitty keyboard protocol flags
];

/** `CSI Ps t` window operations that report (the others change state and are kept). */
export const WINDOW_REPORTS: ReadonlySet<number> = new Set([11, 13, 14, 15, 16, 18, 19, 20, 21]);

/** DCS questions: DECRQSS (`DCS $ q`) and XTGETTCAP (`DCS + q`). */
export const DCS_QUERIES: readonly IFunctionIdentifier[] = [
  { intermediates: "$", final: "q" },
  { intermediates: "+", final: "q" },
];

/** OSC numbers whose `?` argument asks for a value: palette, dynamic colours, clipboard. */
export const OSC_QUERIES: readonly number[] = [4, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 52];

/** Whether an OSC payload asks something (one of its `;`-separated fields is `?`). */
export function oscAsks(data: string): boolean {
  return data.split(";").some((field) => field === "?");
}

/** The first parameter of a CSI sequence (0 when absent). */
function first(params: (number | number[])[]): number {
  const p = params[0];
  if (p === undefined) return 0;
  return typeof p === "number" ? p : (p[0] ?? 0);
}

/**
 * Registers handlers on `parser` that swallow every terminal question while `silent()` is
 * true. Dispose the result to remove them.
 */
export function filterReports(parser: ReportParser, silent: () => boolean): IDisposable {
  const ds: IDisposable[] = [];
  for (const id of CSI_QUERIES) ds.push(parser.registerCsiHandler(id, () => silent()));
  ds.push(parser.registerCsiHandler({ final: "t" }, (params) => WINDOW_REPORTS.has(first(params)) && silent()));
  for (const id of DCS_QUERIES) ds.push(parser.registerDcsHandler(id, () => silent()));
  for (const n of OSC_QUERIES) ds.push(parser.registerOscHandler(n, (data) => oscAsks(data) && silent()));
  return {
    dispose: () => {
      for (const d of ds.splice(0)) d.dispose();
    },
  };
}
