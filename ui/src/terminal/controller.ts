// The wrapper that owns one pane's xterm.js terminal and its addons, and its attachment to a
// session: output is written in slices with xterm's write callback and acknowledged to the
// backend (flow control), input is sent in order, size changes follow the pane, and attachment
// events become the pane's status. Everything Tauri-related goes through api/. Every paste (the
// app's paste action and the browser's paste event, which xterm would otherwise handle itself)
// goes through paste.ts: sanitised, and confirmed first when it has a line break; a middle
// click pastes the desktop's PRIMARY the same way, and a resting selection becomes PRIMARY
// (primary.ts). Replayed history gets no terminal reports (replay.ts, reports.ts): the
// session's live offset is read before each attach, and questions below it are swallowed
// instead of answered into the shell. The shell's prompt marks (OSC 133;A) become xterm markers
// for jumping between prompts (prompts.ts).
import { FitAddon } from "@xterm/addon-fit";
import { SearchAddon } from "@xterm/addon-search";
import { Unicode11Addon } from "@xterm/addon-unicode11";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { type IBufferRange, Terminal } from "@xterm/xterm";
import * as api from "../api/tauri";
import { toApiError, uiError } from "../api/errors";
import { TERMINAL_SIZE_MAX, TERMINAL_SIZE_MIN } from "../api/generated/limits";
import type { ApiError, TabEvent } from "../api/types";
import type { Theme } from "../state/settings";
import { confirm, settings } from "../state/store";
import { matchShortcut } from "../shortcuts";
import { AnswerWatch } from "../automation/answers";
import { isTerminalReport } from "../automation/broadcast";
import type { Typed } from "../automation/state";
import { AckCoalescer } from "./ack";
import { binaryStringToBytes, sliceChunk } from "./chunks";
import { OrderedInput } from "./input";
import { type LinkSource, opensLink } from "./links";
import { OutputPacer } from "./pacer";
import { preparePaste } from "./paste";
import { middleClickText, selected } from "./primary";
import { PromptMarks, promptTarget } from "./prompts";
import { filterReports } from "./reports";
import { ReplayGuard, type TermWrite, writeMarker, writeOutput } from "./replay";
import { Responders } from "./responder";
import { exitMarker, gapMarker, type PaneStatus } from "./status";
import { searchColours, TERMINAL_FONT, terminalTheme } from "./theme";

/** What a pane's terminal needs to know and tell. */
export interface ControllerOptions {
  host: string;
  session_id: string;
  fontSize: number;
  theme: Theme;
  copyOnSelect: boolean;
  /** The attachment's status changed. */
  onStatus: (status: PaneStatus) => void;
  /** The terminal got keyboard focus. */
  onFocus: () => void;
  /** The session's title changed (OSC 0/2). */
  onTitle: (title: string) => void;
  /** An error the app should show (e.g. a changed host key). */
  onError: (error: ApiError) => void;
  /** A link was Ctrl+clicked (Cmd+clicked on macOS): its address, its visible text, its kind. */
  onLink: (uri: string, visible: string, source: LinkSource) => void;
  /**
   * Something happened while the pane was not on screen: a bell, or live output ("seen" when
   * the pane shows again). Replayed history never counts.
   */
  onMark: (mark: "bell" | "activity" | "seen") => void;
  /** The size to attach with while the pane is hidden (its tab is not shown yet). */
  hiddenGrid: () => { cols: number; rows: number };
  /** The user typed or pasted (not the terminal's own answers and reports): for broadcast. */
  onTyped?: (typed: Typed) => void;
}

/** The current attachment, from the attach call until it is replaced or disposed. */
interface Current {
  id: string | null;
  acker: AckCoalescer;
  mute: () => void;
  /** The session's live offset read before attaching (null: unknown), for the first connect. */
  liveFrom: number | null;
  /** Whether the stream has connected once (later connects are reconnects). */
  connected: boolean;
}

/** How long size changes settle before they are sent. */
const RESIZE_DEBOUNCE_MS = 60;

/** Whether links open with Cmd (macOS) rather than Ctrl. */
const MAC = typeof navigator !== "undefined" && /Mac/.test(navigator.platform);

/** Whether a middle click pastes the primary selection (Linux and other X11/Wayland desktops). */
const PRIMARY_PASTE = typeof navigator !== "undefined" && /Linux|BSD/.test(navigator.platform);

/** How long after connecting or resizing output is not counted as activity (prompt redraws). */
const QUIET_MS = 1000;

/** How long after a middle-click paste the webview's own paste event is ignored. */
const MIDDLE_PASTE_MS = 1000;

/** Which pane answers the questions of a session shown in several. */
const responders = new Responders<TerminalController>();

/** How long a selection must rest before copy-on-select (or PRIMARY) takes it. */
const COPY_DEBOUNCE_MS = 150;

// Within the protocol's terminal sizes (xterm.js itself needs two columns).
const clampCols = (n: number) => Math.max(2, TERMINAL_SIZE_MIN, Math.min(TERMINAL_SIZE_MAX, Math.floor(n)));
const clampRows = (n: number) => Math.max(TERMINAL_SIZE_MIN, Math.min(TERMINAL_SIZE_MAX, Math.floor(n)));

/** One pane's terminal and attachment. */
export class TerminalController {
  /** The xterm instance. */
  readonly term: Terminal;
  private readonly fitAddon = new FitAddon();
  private readonly searchAddon = new SearchAddon({ highlightLimit: 1000 });
  private readonly input: OrderedInput;
  private readonly resizeObserver: ResizeObserver;
  private readonly visibility: IntersectionObserver;
  /** Output on its way into xterm: at once while visible, paced while the tab is hidden. */
  private readonly pacer: OutputPacer;
  /** Which output is history (no terminal reports for it). */
  private readonly guard = new ReplayGuard();
  private readonly termWrite: TermWrite = (data, parsed) => this.term.write(data, parsed);
  private current: Current | null = null;
  /** Bumped by every attach, so a slow read of the live offset is dropped when superseded. */
  private attachSeq = 0;
  private status: PaneStatus = { state: "connecting" };
  private disposed = false;
  private copyOnSelect: boolean;
  private theme: Theme;
  private sentSize: { cols: number; rows: number } | null = null;
  private resizeTimer: ReturnType<typeof setTimeout> | null = null;
  private fitFrame: number | null = null;
  private copyTimer: ReturnType<typeof setTimeout> | null = null;
  /** Whether the pane is on screen (bell and activity count only while it is not). */
  private onScreen = true;
  /** Output before this time is no activity (a shell redraws its prompt after an attach or a resize). */
  private quietUntil = 0;
  /** When a middle click last pasted (the webview may follow with a paste of its own). */
  private middlePastedAt = 0;
  private primaryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Tells the terminal's answers to programs from typing (answers are not broadcast). */
  private readonly answers: AnswerWatch;
  /** The clean text of the paste being typed, while `term.paste` runs. */
  private pasting: string | null = null;
  /** The lines of the shell's prompts (OSC 133;A), for jumping between them. */
  private readonly prompts: PromptMarks;

  constructor(
    private readonly el: HTMLElement,
    private readonly opts: ControllerOptions,
  ) {
    this.copyOnSelect = opts.copyOnSelect;
    this.theme = opts.theme;
    this.term = new Terminal({
      allowProposedApi: true,
      fontFamily: TERMINAL_FONT,
      fontSize: opts.fontSize,
      lineHeight: 1.15,
      scrollback: 10_000,
      cursorBlink: true,
      theme: terminalTheme(opts.theme),
      rightClickSelectsWord: true,
      drawBoldTextInBrightColors: false,
      // OSC 8 hyperlinks: Ctrl+click only, shown to the user first (never xterm's window.confirm).
      linkHandler: {
        allowNonHttpProtocols: true,
        activate: (event, uri, range) => {
          if (opensLink(event, MAC)) opts.onLink(uri, this.textIn(range), "osc8");
        },
      },
    });
    this.term.loadAddon(this.fitAddon);
    this.term.loadAddon(this.searchAddon);
    this.term.loadAddon(new Unicode11Addon());
    this.term.loadAddon(
      new WebLinksAddon((event, uri) => {
        if (opensLink(event, MAC)) opts.onLink(uri, uri, "text");
      }),
    );
    this.term.unicode.activeVersion = "11";
    // App shortcuts are handled by the window's key handler; xterm must not also act on them.
    this.term.attachCustomKeyEventHandler((e) => matchShortcut(e) === null);
    // Browser pastes (middle click, the context menu, the webview's own shortcut) are taken
    // before xterm sees them (capture phase, on its container) and pasted through the guard.
    el.addEventListener(
      "paste",
      (e: ClipboardEvent) => {
        e.preventDefault();
        e.stopPropagation();
        if (Date.now() - this.middlePastedAt < MIDDLE_PASTE_MS) return;
        this.paste(e.clipboardData?.getData("text/plain") ?? "");
      },
      { capture: true },
    );
    // A middle click pastes the primary selection, unless the program takes the mouse (Shift
    // overrides), through the same guard as every paste.
    el.addEventListener(
      "mousedown",
      (e: MouseEvent) => {
        if (e.button !== 1 || !PRIMARY_PASTE || (this.wantsMouse() && !e.shiftKey)) return;
        e.preventDefault();
        e.stopPropagation();
        this.middlePastedAt = Date.now();
        void middleClickText(api.primaryRead).then((t) => this.paste(t));
      },
      { capture: true },
    );
    this.term.open(el);
    // No answers for history, nor from a second view of the session (its answerer replies).
    const session = `${opts.host}/${opts.session_id}`;
    filterReports(this.term.parser, () => this.guard.inHistory() || !responders.answers(session, this));
    this.term.textarea?.addEventListener("focus", () => responders.focus(session, this));

    this.input = new OrderedInput((e) => this.inputFailed(e));
    this.answers = new AnswerWatch(this.term.parser);
    this.prompts = new PromptMarks(this.term);
    this.term.onData((d) => {
      if (!this.acceptsInput()) return;
      this.input.text(d);
      if (this.pasting !== null) this.opts.onTyped?.({ kind: "paste", data: this.pasting });
      else if (!this.answers.answering() && !isTerminalReport(d)) this.opts.onTyped?.({ kind: "text", data: d });
    });
    this.term.onBinary((d) => {
      if (this.acceptsInput()) this.input.bytes(binaryStringToBytes(d));
    });
    this.term.onResize(() => this.scheduleResize());
    this.term.onTitleChange((t) => {
      if (t.trim().length > 0) opts.onTitle(t.trim());
    });
    this.term.onBell(() => {
      if (!this.onScreen && !this.guard.inHistory()) opts.onMark("bell");
    });
    this.term.onSelectionChange(() => {
      selected(this.term.getSelection());
      if (PRIMARY_PASTE) this.schedulePrimary();
      if (!this.copyOnSelect) return;
      if (this.copyTimer !== null) clearTimeout(this.copyTimer);
      this.copyTimer = setTimeout(() => {
        this.copyTimer = null;
        if (!this.disposed && this.term.hasSelection()) api.clipboardWrite(this.term.getSelection()).catch(() => {});
      }, COPY_DEBOUNCE_MS);
    });
    this.term.textarea?.addEventListener("focus", () => opts.onFocus());

    this.resizeObserver = new ResizeObserver(() => this.requestFit());
    this.resizeObserver.observe(el);
    this.pacer = new OutputPacer((data, done) => this.writeNow(data, done));
    this.visibility = new IntersectionObserver((entries) => {
      const last = entries[entries.length - 1];
      if (last === undefined) return;
      this.pacer.setVisible(last.isIntersecting);
      if (last.isIntersecting && !this.onScreen) opts.onMark("seen");
      this.onScreen = last.isIntersecting;
    });
    this.visibility.observe(el);
    if (!this.fit()) {
      // Hidden (a restored tab in the background): attach with the size it will most likely
      // get rather than xterm's 80×24, so the session is not resized back and forth.
      const g = opts.hiddenGrid();
      this.term.resize(clampCols(g.cols), clampRows(g.rows));
    }
    this.attach();
  }

  /** The pane's current status. */
  getStatus(): PaneStatus {
    return this.status;
  }

  private setStatus(s: PaneStatus): void {
    this.status = s;
    if (!this.disposed) this.opts.onStatus(s);
  }

  private acceptsInput(): boolean {
    return this.status.state === "connected" || this.status.state === "connecting" || this.status.state === "reconnecting";
  }

  private inputFailed(e: unknown): void {
    const err = toApiError(e);
    // Input to an exited or vanished session: the events channel reports that on its own.
    if (err.code === "rpc_32005" || err.code === "rpc_32001") return;
    if (this.status.state === "connected") this.opts.onError(err);
  }

  /** Attaches (again), replaying everything the agent holds into a fresh terminal. */
  private attach(): void {
    this.releaseCurrent();
    this.input.setTarget(null);
    this.setStatus({ state: "connecting" });
    const seq = ++this.attachSeq;
    void this.liveOffset().then((liveFrom) => {
      if (!this.disposed && seq === this.attachSeq) this.startAttach(liveFrom);
    });
  }

  /** The session's live offset now (the end of its output), or null when it cannot be read. */
  private async liveOffset(): Promise<number | null> {
    try {
      const found = (await api.sessionsList(this.opts.host)).find((s) => s.session_id === this.opts.session_id);
      return found === undefined ? null : found.output_end;
    } catch {
      return null;
    }
  }

  private startAttach(liveFrom: number | null): void {
    this.guard.attaching(liveFrom);
    const acker = new AckCoalescer((bytes) => {
      const id = cur.id;
      if (id !== null) api.attachmentAck(id, bytes).catch(() => {});
    });
    const size = this.size();
    const { promise, muteEarly } = api.attach(
      { host: this.opts.host, session_id: this.opts.session_id, cols: size.cols, rows: size.rows, from_offset: null },
      { onOutput: (b) => this.write(b, acker), onEvent: (e) => this.onEvent(e, cur) },
    );
    const cur: Current = { id: null, acker, mute: muteEarly, liveFrom, connected: false };
    this.current = cur;
    this.sentSize = size;
    promise.then(
      (a) => {
        if (this.disposed || this.current !== cur) {
          a.mute();
          api.detach(a.attachment_id).catch(() => {});
          return;
        }
        cur.id = a.attachment_id;
        cur.mute = a.mute;
        acker.setReady();
        const id = a.attachment_id;
        this.input.setTarget((item) =>
          item.kind === "text" ? api.input(id, item.data) : api.inputBytes(id, item.data),
        );
        this.scheduleResize();
      },
      (e: unknown) => {
        if (this.disposed || this.current !== cur) return;
        const error = toApiError(e);
        this.setStatus({ state: "error", error });
        if (error.code === "host_key_changed") this.opts.onError(error);
      },
    );
  }

  private write(bytes: Uint8Array, acker: AckCoalescer): void {
    if (this.disposed || this.current?.acker !== acker) return;
    this.pacer.push(bytes, (n) => acker.add(n));
  }

  /**
   * Writes into xterm in slices, acknowledging each once xterm has processed it; history and
   * live parts are marked for the report filter.
   */
  private writeNow(data: Uint8Array | string, done: ((bytes: number) => void) | null): void {
    if (this.disposed) return;
    if (typeof data === "string") {
      writeMarker(this.guard, this.termWrite, data);
      return;
    }
    for (const part of sliceChunk(data)) {
      const live = writeOutput(this.guard, this.termWrite, part, done);
      if (live > 0 && !this.onScreen && Date.now() >= this.quietUntil) this.opts.onMark("activity");
    }
  }

  /** The text shown in a buffer range (a link's visible text). */
  private textIn(range: IBufferRange): string {
    const buf = this.term.buffer.active;
    const parts: string[] = [];
    for (let y = range.start.y; y <= range.end.y && parts.length < 10; y++) {
      const line = buf.getLine(y - 1)?.translateToString(true) ?? "";
      const from = y === range.start.y ? range.start.x - 1 : 0;
      const to = y === range.end.y ? range.end.x : line.length;
      parts.push(line.slice(from, to));
    }
    return parts.join("");
  }

  /**
   * The stream (re)started at `replayFrom`. The first connect uses the live offset read before
   * attaching; a reconnect replays what was missed, which counts as history until the live
   * offset is read again.
   */
  private streamStarted(cur: Current, replayFrom: number): void {
    const first = !cur.connected;
    cur.connected = true;
    const known = first ? cur.liveFrom : null;
    this.pacer.then(() => this.guard.connected(replayFrom, known));
    if (known !== null) return;
    const seq = this.attachSeq;
    void this.liveOffset().then((liveFrom) => {
      // Unreadable: answer from now on, as a terminal without a replay would.
      if (!this.disposed && seq === this.attachSeq) this.pacer.then(() => this.guard.setLiveFrom(liveFrom ?? 0));
    });
  }

  private onEvent(e: TabEvent, cur: Current): void {
    if (this.disposed || this.current !== cur) return;
    switch (e.type) {
      case "connected":
        this.quietUntil = Date.now() + QUIET_MS;
        this.streamStarted(cur, e.replay_from);
        this.setStatus({ state: "connected" });
        break;
      case "reconnecting":
        this.setStatus({
          state: "reconnecting",
          retry_at: Date.now() + Math.max(0, e.retry_in_ms),
          attempt: e.attempt,
          reason: e.reason,
        });
        break;
      case "snapshot":
        // The next `bytes` output bytes redraw the screen as it stood at `offset`: history.
        this.pacer.then(() => this.guard.snapshot(e.bytes, e.offset));
        break;
      case "changed":
        // Titles reach the pane through the terminal itself (OSC 0/2, replayed in snapshots);
        // the sidebar reads the agent's `terminal_title`/`cwd` with the session list.
        break;
      case "gap":
        this.pacer.push(gapMarker(e.from, e.to), null);
        break;
      case "exited":
        this.pacer.push(exitMarker(e.code, e.signal), null);
        this.setStatus({ state: "exited", exit_code: e.code, exit_signal: e.signal });
        break;
      case "error": {
        const error: ApiError = { code: e.code, message: e.message, details: e.details };
        this.setStatus({ state: "error", error });
        if (e.code === "host_key_changed") this.opts.onError(error);
        break;
      }
      case "detached":
        if (this.status.state !== "exited" && this.status.state !== "error") {
          this.setStatus({
            state: "error",
            error: uiError("detached", "This tab was detached from the session; the session keeps running."),
          });
        }
        break;
    }
  }

  /** Attaches again after an error or a detach, starting from a clean screen. */
  retry(): void {
    if (this.disposed) return;
    this.term.reset();
    this.prompts.reset();
    this.attach();
  }

  private size(): { cols: number; rows: number } {
    return { cols: this.term.cols, rows: this.term.rows };
  }

  private scheduleResize(): void {
    if (this.resizeTimer !== null) clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      this.resizeTimer = null;
      const id = this.current?.id ?? null;
      const size = this.size();
      if (id === null || this.disposed) return;
      if (this.sentSize && this.sentSize.cols === size.cols && this.sentSize.rows === size.rows) return;
      this.sentSize = size;
      this.quietUntil = Date.now() + QUIET_MS;
      api.resize(id, size.cols, size.rows).catch(() => {});
    }, RESIZE_DEBOUNCE_MS);
  }

  private requestFit(): void {
    if (this.fitFrame !== null || this.disposed) return;
    this.fitFrame = requestAnimationFrame(() => {
      this.fitFrame = null;
      this.fit();
    });
  }

  /** Fits the terminal to its element; false while the element is hidden. */
  fit(): boolean {
    if (this.disposed || this.el.clientWidth === 0 || this.el.clientHeight === 0) return false;
    const dims = this.fitAddon.proposeDimensions();
    if (dims === undefined || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows)) return false;
    const cols = clampCols(dims.cols);
    const rows = clampRows(dims.rows);
    if (cols !== this.term.cols || rows !== this.term.rows) this.term.resize(cols, rows);
    return true;
  }

  /** Gives the terminal keyboard focus. */
  focus(): void {
    if (!this.disposed) this.term.focus();
  }

  /**
   * Scrolls the previous (`-1`) or next (`1`) prompt to the top of the viewport; false when
   * there is none that way.
   */
  jumpPrompt(dir: -1 | 1): boolean {
    if (this.disposed) return false;
    const line = promptTarget(this.prompts.lines(), this.term.buffer.active.viewportY, dir);
    if (line === null) return false;
    this.term.scrollToLine(line);
    return true;
  }

  /** Changes the font size and refits. */
  setFontSize(size: number): void {
    if (this.disposed || this.term.options.fontSize === size) return;
    this.term.options.fontSize = size;
    this.fit();
  }

  /** Changes the colour theme. */
  setTheme(theme: Theme): void {
    if (this.disposed || this.theme === theme) return;
    this.theme = theme;
    this.term.options.theme = terminalTheme(theme);
  }

  /** Makes the selection the desktop's PRIMARY once it rests (an empty one leaves PRIMARY as is). */
  private schedulePrimary(): void {
    if (this.primaryTimer !== null) clearTimeout(this.primaryTimer);
    this.primaryTimer = setTimeout(() => {
      this.primaryTimer = null;
      const text = this.disposed ? "" : this.term.getSelection();
      if (text.length > 0) api.primaryWrite(text).catch(() => {});
    }, COPY_DEBOUNCE_MS);
  }

  /** Turns copy-on-select on or off. */
  setCopyOnSelect(on: boolean): void {
    this.copyOnSelect = on;
  }

  /** Selects everything in the buffer. */
  selectAll(): void {
    if (!this.disposed) this.term.selectAll();
  }

  /** Whether the program in the terminal takes mouse clicks (its menu then needs Shift). */
  wantsMouse(): boolean {
    return !this.disposed && this.term.modes.mouseTrackingMode !== "none";
  }

  /** The selected text ("" when nothing is selected). */
  selection(): string {
    return this.term.getSelection();
  }

  /**
   * Pastes text as if typed (bracketed paste when the program asked for it): without bracket
   * markers or control characters, and after a confirmation when it has a line break and the
   * setting asks for one.
   */
  paste(text: string): void {
    if (this.disposed || text.length === 0) return;
    const guard = {
      confirmMultiLine: settings.peek().confirm_multiline_paste,
      confirm: (lines: number) =>
        confirm(
          lines === 1 ? "Paste text with a line break?" : `Paste ${lines} lines?`,
          lines === 1
            ? "The text ends with a line break: pasting it may run a command at once."
            : `The text has ${lines} lines: pasting it may run each line as a command.`,
          "Paste",
          true,
        ),
    };
    void preparePaste(text, guard).then((clean) => {
      if (clean !== null && !this.disposed) {
        this.term.focus();
        this.pasteNow(clean);
      }
    });
  }

  /** Pastes already-clean text (bracketed when the program asked for it). */
  private pasteNow(clean: string): void {
    this.pasting = clean;
    try {
      this.term.paste(clean);
    } finally {
      this.pasting = null;
    }
  }

  /** Types `data` as if typed here (broadcast input from another pane). */
  inject(data: string): void {
    if (!this.disposed && this.acceptsInput()) this.input.text(data);
  }

  /** Pastes text another pane of a broadcast pasted (already sanitised and confirmed there). */
  injectPaste(text: string): void {
    if (!this.disposed && this.acceptsInput()) this.pasteNow(text);
  }

  /** Finds the next (or previous) match of `query`; false when there is none. */
  find(query: string, backwards: boolean, incremental = false): boolean {
    if (this.disposed || query.length === 0) {
      this.searchAddon.clearDecorations();
      return false;
    }
    const options = { decorations: searchColours(this.theme), incremental };
    return backwards ? this.searchAddon.findPrevious(query, options) : this.searchAddon.findNext(query, options);
  }

  /** Removes search highlights. */
  clearSearch(): void {
    if (!this.disposed) this.searchAddon.clearDecorations();
  }

  /** Calls `f` whenever the search results change (count and index). */
  onSearchResults(f: (index: number, count: number) => void): () => void {
    const d = this.searchAddon.onDidChangeResults((r) => f(r.resultIndex, r.resultCount));
    return () => d.dispose();
  }

  private releaseCurrent(): void {
    const cur = this.current;
    if (cur === null) return;
    this.current = null;
    this.pacer.clear();
    cur.mute();
    cur.acker.close();
    if (cur.id !== null) api.detach(cur.id).catch(() => {});
  }

  /** Detaches (the session keeps running) and destroys the terminal. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseCurrent();
    this.disposed = true;
    this.input.close();
    this.answers.dispose();
    this.prompts.dispose();
    this.resizeObserver.disconnect();
    this.visibility.disconnect();
    if (this.resizeTimer !== null) clearTimeout(this.resizeTimer);
    if (this.copyTimer !== null) clearTimeout(this.copyTimer);
    if (this.primaryTimer !== null) clearTimeout(this.primaryTimer);
    if (this.fitFrame !== null) cancelAnimationFrame(this.fitFrame);
    responders.leave(`${this.opts.host}/${this.opts.session_id}`, this);
    this.term.dispose();
  }
}
