//! Screen restore on attach (`restore`: `"bytes"`, `"screen"`, `"auto"`), checked against
//! emulators nobody here wrote: what a newly attached client receives is rendered by `pyte`
//! (agent/tests/oracles/pyte_render.py) or by tmux, and compared with tmux's own
//! `capture-pane` of the same program, or with tmux's rendering of the session's whole byte
//! stream. Real PTYs, real daemons; the programs are a full-screen frame that then rewrites one
//! line until a small ring wraps many times (agent/tests/programs/frame_then_line.py), vim with
//! `set mouse=a`, less, a curses program that draws borders with the line-drawing set
//! (agent/tests/programs/curses_box.py), a script that scrolls inside a scroll region (with and
//! without origin mode) across the restore, and one that saves the cursor (`ESC 7`, `CSI s`)
//! before the ring wraps and restores it after the restore.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use outpost_testkit::client::Mode;
use outpost_testkit::fixture::{sid_of, wait_until, Agent, Home, DEADLINE};
use outpost_testkit::tmux::{self, Tmux};
use outpost_testkit::venv;
use serde_json::{json, Value};

/// The smallest ring a session may ask for.
const SMALL_RING: u64 = 64 * 1024;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn program(name: &str) -> String {
    manifest()
        .join("tests/programs")
        .join(name)
        .display()
        .to_string()
}

/// tmux's rendering of `bytes` (it supports the alternate screen, unlike pyte).
fn tmux_render(bytes: &[u8], cols: u16, rows: u16) -> Vec<String> {
    tmux_pane(bytes, cols, rows).capture().unwrap()
}

/// A tmux pane that `cat`ted `bytes` (it then signalled a `wait-for` channel).
fn tmux_pane(bytes: &[u8], cols: u16, rows: u16) -> Tmux {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bytes");
    std::fs::write(&file, bytes).unwrap();
    let channel = format!("rendered-{}", std::process::id());
    // Inside the pane, `tmux` finds its server through $TMUX; a signal sent before anyone waits
    // is kept by tmux, so there is no race.
    let t = Tmux::start(
        cols,
        rows,
        &[
            "sh",
            "-c",
            "stty -onlcr; cat \"$1\"; tmux wait-for -S \"$2\"; exec sleep 3600",
            "sh",
            &file.display().to_string(),
            &channel,
        ],
    )
    .unwrap();
    let st = t.cmd().args(["wait-for", &channel]).status().unwrap();
    assert!(st.success());
    t
}

/// A tmux pane's rows with their colours and attributes (`capture-pane -e`) and its cursor.
fn styled(t: &Tmux) -> (Vec<String>, (u32, u32)) {
    let rows = t.run(&["capture-pane", "-p", "-e"]).unwrap();
    (tmux::normalise(&rows), t.cursor().unwrap())
}

fn b64(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("base64 text"))
        .unwrap()
}

/// Attaches with `restore`; returns the result.
fn attach(a: &Agent, sid: &str, restore: &str) -> Value {
    a.client()
        .attach_value(
            json!({"session_id": sid, "restore": restore}),
            Mode::default(),
        )
        .unwrap_or_else(|e| panic!("attach {restore}: {e}"))
}

/// Waits until the client has every byte up to the session's current end; returns the bytes
/// received since the attach.
fn drain(a: &Agent, sid: &str) -> Vec<u8> {
    let end = a.session(sid).unwrap()["output_end"].as_u64().unwrap();
    a.wait_output_until(sid, "every byte up to output_end", DEADLINE, |s| {
        s.next >= end
    })
    .data
}

fn preview_is(a: &Agent, sid: &str, want: &str) -> bool {
    a.session(sid)
        .is_some_and(|s| s["preview"].as_str() == Some(want))
}

fn create(
    a: &Agent,
    home: &Home,
    cols: u16,
    rows: u16,
    ring: Option<u64>,
    argv: &[&str],
) -> String {
    let mut p = json!({
        "kind": "shell",
        "cols": cols,
        "rows": rows,
        "cwd": home.root(),
        "env": {"LC_ALL": "C.UTF-8"},
        "shell": {"program": argv[0], "args": &argv[1..]},
    });
    if let Some(r) = ring {
        p["scrollback_bytes"] = json!(r);
    }
    sid_of(&a.create(p).unwrap())
}

/// A session (with the smallest ring) running frame_then_line.py until it finished; returns its
/// id and the program's argv.
fn frame_session(
    a: &Agent,
    home: &Home,
    cols: u16,
    rows: u16,
    updates: u32,
    dense: bool,
) -> (String, Vec<String>) {
    let mut argv: Vec<String> = [
        "/usr/bin/python3".to_string(),
        program("frame_then_line.py"),
        cols.to_string(),
        rows.to_string(),
        updates.to_string(),
    ]
    .into();
    if dense {
        argv.push("dense".into());
    }
    let args: Vec<&str> = argv.iter().map(String::as_str).collect();
    let sid = create(a, home, cols, rows, Some(SMALL_RING), &args);
    wait_until(DEADLINE, "the program finished", || {
        preview_is(a, &sid, "footer: finished")
    });
    (sid, argv)
}

/// THE KEY TEST: a program drew its frame once, then rewrote one line until the ring wrapped
/// many times. A new client with restore "auto" shows what tmux shows for the same program; with
/// "bytes" the frame is gone.
#[test]
fn a_new_client_gets_the_frame_after_the_ring_wrapped() {
    let home = Home::new();
    let a = home.agent_initialized();
    let (sid, argv) = frame_session(&a, &home, 80, 24, 40_000, false);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let tmux = Tmux::start(80, 24, &argv).unwrap();
    let truth = tmux.wait_for("footer: finished", DEADLINE).unwrap();
    let info = a.session(&sid).unwrap();
    let end = info["output_end"].as_u64().unwrap();
    assert!(
        end > 10 * SMALL_RING,
        "the ring must wrap many times ({end} bytes through a {SMALL_RING}-byte ring)"
    );
    assert!(truth[0].starts_with("HEADER frame demo"), "{truth:#?}");

    let b = home.agent_initialized();
    let r = attach(&b, &sid, "auto");
    let snap = &r["snapshot"];
    assert_eq!(snap["offset"], json!(end), "{r}");
    assert_eq!(r["replay_from"], json!(end));
    assert_eq!(r["truncated"], json!(true));
    let mut bytes = b64(&snap["data"]);
    bytes.extend(drain(&b, &sid));
    let (shown, cursor) = venv::pyte_render(&bytes, 80, 24);
    assert_eq!(
        shown, truth,
        "pyte's rendering of the restore vs tmux's capture"
    );
    let (y, x) = tmux.cursor().unwrap();
    assert_eq!(cursor, format!("{y} {x} hidden=0"));

    // Bytes only: the frame is lost.
    let c = home.agent_initialized();
    let r = attach(&c, &sid, "bytes");
    assert!(r.get("snapshot").is_none(), "{r}");
    let (lost, _) = venv::pyte_render(&drain(&c, &sid), 80, 24);
    assert_ne!(lost, truth);
    assert!(
        !lost.iter().any(|l| l.contains("HEADER")),
        "the ring no longer holds the header: {lost:#?}"
    );

    // An old client (no `restore`) gets bytes, as before.
    let d = home.agent_initialized();
    let r = d.attach_ok(&sid, Some(0));
    assert!(r.get("snapshot").is_none(), "{r}");
    assert_eq!(r["truncated"], json!(true));
}

/// ncurses draws borders with the line-drawing set (`ESC ( 0` on xterm-256color): a new client
/// after the ring wrapped sees them as pyte shows the program's whole output (kept by a second
/// session of the same program whose ring holds it all), lines and symbols, not the letters the
/// set redefines. (pyte ignores the sets in its UTF-8 mode, unlike xterm, xterm.js and tmux; the
/// whole output is ASCII, so pyte reads it in its ISO 2022 mode, where it follows them.)
#[test]
fn curses_borders_come_back_as_lines() {
    let home = Home::new();
    let a = home.agent_initialized();
    let script = program("curses_box.py");
    let argv = ["/usr/bin/python3", script.as_str(), "60000"];
    let small = create(&a, &home, 80, 24, Some(SMALL_RING), &argv);
    let whole = create(&a, &home, 80, 24, None, &argv);
    for sid in [&small, &whole] {
        wait_until(DEADLINE, "the program finished", || {
            preview_is(&a, sid, "footer: finished")
        });
    }

    let b = home.agent_initialized();
    let r = attach(&b, &whole, "bytes");
    assert_eq!(
        r["truncated"],
        json!(false),
        "the big ring holds everything: {r}"
    );
    // The program's output is ASCII: the sets switch, the letters stay. pyte follows the sets only
    // outside its UTF-8 mode (`ESC % @`), which reads ASCII the same.
    let all = drain(&b, &whole);
    assert!(all.is_ascii() && all.windows(3).any(|w| w == b"\x1b(0"));
    let (truth, cursor) = venv::pyte_render(&[&b"\x1b%@"[..], &all].concat(), 80, 24);
    assert!(
        truth[0].starts_with("\u{250c}\u{2500} box demo \u{2500}"),
        "{truth:#?}"
    );
    assert!(
        truth[1].contains("line drawing: \u{25c6}\u{2592}\u{b0}\u{b1}\u{b7}"),
        "{truth:#?}"
    );
    assert!(
        truth[2].starts_with("\u{2502}\u{2500}\u{2500}"),
        "{truth:#?}"
    );

    let c = home.agent_initialized();
    let r = attach(&c, &small, "auto");
    assert_eq!(r["truncated"], json!(true), "the small ring wrapped: {r}");
    let mut bytes = b64(&r["snapshot"]["data"]);
    bytes.extend(drain(&c, &small));
    let (shown, shown_cursor) = venv::pyte_render(&bytes, 80, 24);
    assert_eq!(shown, truth, "pyte: the restore vs the whole output");
    assert_eq!(shown_cursor, cursor);
}

/// vim with `set mouse=a` in the alternate screen: the snapshot re-enters the alternate screen and
/// re-enables the very mouse modes vim asked for, and pyte shows what tmux shows for vim.
#[test]
fn vim_gets_its_alternate_screen_and_mouse_back() {
    let home = Home::new();
    let file = home.root().join("notes.txt");
    let text: String = (1..=10).map(|i| format!("note line {i}\n")).collect();
    std::fs::write(&file, text).unwrap();
    let a = home.agent_initialized();
    let argv = [
        "/usr/bin/vim",
        "-u",
        "NONE",
        "-i",
        "NONE",
        "-N",
        "-n",
        "-c",
        "set mouse=a",
        "notes.txt",
    ];
    let sid = create(&a, &home, 80, 24, None, &argv);
    let tmux = Tmux::start_in(Some(home.root()), 80, 24, &argv).unwrap();
    wait_until(DEADLINE, "vim drew the file", || {
        a.session(&sid)
            .is_some_and(|s| s["preview"].as_str().is_some_and(|p| p.contains("10L")))
    });
    let (_, raw) = a.read_all(&sid);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let mouse: Vec<&str> = ["\x1b[?1000h", "\x1b[?1002h", "\x1b[?1003h", "\x1b[?1006h"]
        .into_iter()
        .filter(|m| raw.contains(m))
        .collect();
    assert!(!mouse.is_empty(), "vim enabled no mouse mode: {raw:?}");

    let b = home.agent_initialized();
    let r = attach(&b, &sid, "screen");
    let snap = String::from_utf8(b64(&r["snapshot"]["data"])).unwrap();
    assert!(
        snap.contains("\x1b[?1049h"),
        "no alternate screen: {snap:?}"
    );
    for m in &mouse {
        assert!(snap.contains(m), "{m:?} missing from the snapshot {snap:?}");
    }
    let (shown, _) = venv::pyte_render(snap.as_bytes(), 80, 24);
    // tmux's vim draws at its own pace: "10L" can show before the file's lines do. Capture until
    // its pane holds the whole frame (or the deadline passes), then compare.
    let deadline = Instant::now() + DEADLINE;
    let truth = loop {
        let truth = tmux.wait_for("10L", DEADLINE).unwrap();
        if truth == shown || Instant::now() > deadline {
            break truth;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        shown, truth,
        "pyte's rendering of the snapshot vs tmux's capture of vim"
    );
}

/// less in the alternate screen over a shell's output: a client that attached with a snapshot
/// while less ran, then saw less quit, shows the shell's screen exactly as the whole byte stream
/// does (both rendered by tmux).
#[test]
fn leaving_less_restores_the_shell_screen() {
    let home = Home::new();
    let file = home.root().join("pager.txt");
    let text: String = (1..=100).map(|i| format!("less-line-{i}\n")).collect();
    std::fs::write(&file, text).unwrap();
    let a = home.agent_initialized();
    let sid = sid_of(&a.create_bash(80, 24));
    a.attach_ok(&sid, Some(0));
    a.type_line(&sid, "for i in $(seq 1 30); do echo shell-line-$i; done");
    a.wait_for_line(&sid, "shell-line-30", DEADLINE);
    a.type_line(&sid, "less pager.txt");
    wait_until(DEADLINE, "less shows the file", || {
        a.session(&sid).is_some_and(|s| {
            s["preview"]
                .as_str()
                // less's status line, not the command line that names the file.
                .is_some_and(|p| (p.contains("pager.txt") && !p.starts_with('$')) || p == ":")
        })
    });

    let b = home.agent_initialized();
    let r = attach(&b, &sid, "screen");
    let mut bytes = b64(&r["snapshot"]["data"]);
    assert!(String::from_utf8_lossy(&bytes).contains("\x1b[?1049h"));
    b.input(&sid, b"q").unwrap();
    wait_until(DEADLINE, "the prompt is back", || preview_is(&b, &sid, "$"));
    bytes.extend(drain(&b, &sid));

    let (_, all) = a.read_all(&sid);
    let truth = tmux_render(&all, 80, 24);
    assert!(
        truth.iter().any(|l| l == "shell-line-30"),
        "tmux shows the shell: {truth:#?}"
    );
    assert!(!truth.iter().any(|l| l.contains("less-line")));
    assert_eq!(tmux_render(&bytes, 80, 24), truth);
}

/// A program for the scroll-region tests: a header and a footer, a scroll region of rows 5–20
/// (plus `setup`), 40 lines scrolled through it, `READY`; after a newline is typed, 10 more
/// lines, a cursor move to `CSI 1;1H` (the region's top under origin mode, the screen's
/// otherwise) and `DONE`.
fn region_script(setup: &str) -> String {
    format!(
        "stty -echo; printf '\\033[2J\\033[HHEADER\\033[24;1HFOOTER\\033[5;20r\\033[20;1H'; \
         i=0; while [ $i -lt 40 ]; do printf '\\r\\nline %d' $i; i=$((i+1)); done; \
         printf '{setup}\\r\\nREADY'; read _; \
         i=0; while [ $i -lt 10 ]; do printf '\\r\\nmore %d' $i; i=$((i+1)); done; \
         printf '\\033[1;1Hhome\\r\\nDONE'; exec sleep 3600"
    )
}

/// Waits until `a`'s stream of `sid` holds `marker`; returns every byte it received.
fn wait_for_marker(a: &Agent, sid: &str, marker: &str) -> Vec<u8> {
    a.wait_output_until(sid, marker, DEADLINE, |s| {
        outpost_testkit::text::find(&s.data, marker.as_bytes()).is_some()
    })
    .data
}

/// Runs [`region_script`] with `setup`; a new client attaches with restore "screen" at `READY`.
/// Returns pyte's rendering (rows, cursor) of the whole byte stream and of the restore (the
/// snapshot, then the bytes after it).
fn whole_and_restored(setup: &str) -> ((Vec<String>, String), (Vec<String>, String)) {
    let home = Home::new();
    let a = home.agent_initialized();
    let script = region_script(setup);
    let sid = create(&a, &home, 80, 24, None, &["/bin/sh", "-c", &script]);
    a.attach_ok(&sid, Some(0));
    wait_for_marker(&a, &sid, "READY");
    let b = home.agent_initialized();
    let r = attach(&b, &sid, "screen");
    assert_eq!(r["replay_from"], r["snapshot"]["offset"], "{r}");
    let mut restored = b64(&r["snapshot"]["data"]);
    a.input(&sid, b"\n").unwrap();
    let whole = wait_for_marker(&a, &sid, "DONE");
    restored.extend(wait_for_marker(&b, &sid, "DONE"));
    (
        venv::pyte_render(&whole, 80, 24),
        venv::pyte_render(&restored, 80, 24),
    )
}

/// A program set a scroll region (DECSTBM) and scrolled through it; after a restore, its
/// further output still scrolls inside the region: pyte shows the snapshot plus what follows as
/// it shows the uninterrupted stream.
#[test]
fn output_after_a_restore_scrolls_inside_the_region() {
    let (whole, restored) = whole_and_restored("");
    let rows = &whole.0;
    // The oracle's own screen: the move home overwrote the header, the footer never scrolled,
    // the region's last row holds the last line.
    assert_eq!(rows[0], "homeER", "{rows:#?}");
    assert_eq!(rows[19], "more 9", "{rows:#?}");
    assert_eq!(rows[23], "FOOTER", "{rows:#?}");
    assert_eq!(
        restored, whole,
        "pyte: restore + output vs the whole stream"
    );
}

/// The same with origin mode (DECOM) on: positions after the restore count from the region's top.
#[test]
fn origin_mode_survives_a_restore() {
    let (whole, restored) = whole_and_restored("\\033[?6h\\033[16;3H");
    let rows = &whole.0;
    assert_eq!(rows[0], "HEADER", "{rows:#?}");
    assert!(rows[4].starts_with("home"), "{rows:#?}");
    assert_eq!(rows[23], "FOOTER", "{rows:#?}");
    assert_eq!(
        restored, whole,
        "pyte: restore + output vs the whole stream"
    );
}

/// A program for the saved-cursor tests: a header, the cursor saved with `save` at row 5,
/// column 10 with bold red, the cursor's own colour green; one line rewritten until a small ring
/// wrapped, `READY`; after a newline is typed, green text, the cursor restored with `restore`,
/// text there, and text on the last row (still bold red).
fn saved_cursor_script(save: &str, restore: &str) -> String {
    format!(
        "stty -echo; printf '\\033[2J\\033[HHEADER\\033[5;10H\\033[1;31m{save}\\033[0;32m\\033[20;1Hstatus'; \
         i=0; while [ $i -lt 12000 ]; do printf '\\033[22;1Hupdate %d' $i; i=$((i+1)); done; \
         printf '\\033[23;1HREADY'; read _; \
         printf ' green{restore}saved\\033[24;1Hlast'; exec sleep 3600"
    )
}

/// Runs [`saved_cursor_script`] in a session with the smallest ring and in tmux; a new client
/// attaches with restore "auto" once the ring wrapped, then the program restores its cursor.
/// Returns what the client received (the snapshot and the bytes after it) and tmux's pane.
fn saved_cursor_run(save: &str, restore: &str) -> (Vec<u8>, Tmux) {
    let home = Home::new();
    let a = home.agent_initialized();
    let script = saved_cursor_script(save, restore);
    let argv = ["/bin/sh", "-c", script.as_str()];
    let sid = create(&a, &home, 80, 24, Some(SMALL_RING), &argv);
    let tmux = Tmux::start(80, 24, &argv).unwrap();
    wait_until(DEADLINE, "the program is ready", || {
        preview_is(&a, &sid, "READY")
    });
    let end = a.session(&sid).unwrap()["output_end"].as_u64().unwrap();
    assert!(
        end > 2 * SMALL_RING,
        "the ring must wrap ({end} bytes through a {SMALL_RING}-byte ring)"
    );
    let b = home.agent_initialized();
    let r = attach(&b, &sid, "auto");
    assert_eq!(r["truncated"], json!(true), "{r}");
    assert_eq!(r["replay_from"], r["snapshot"]["offset"], "{r}");
    let mut restored = b64(&r["snapshot"]["data"]);
    b.input(&sid, b"\n").unwrap();
    restored.extend(wait_for_marker(&b, &sid, "last"));
    tmux.wait_for("READY", DEADLINE).unwrap();
    tmux.run(&["send-keys", "Enter"]).unwrap();
    let truth = tmux.wait_for("last", DEADLINE).unwrap();
    // The oracle's own screen: the text after the restore is where the cursor was saved.
    assert_eq!(truth[4], format!("{}saved", " ".repeat(9)), "{truth:#?}");
    assert_eq!(truth[22], "READY green", "{truth:#?}");
    assert_eq!(truth[23], "last", "{truth:#?}");
    (restored, tmux)
}

/// A program saved its cursor (`ESC 7`, with a colour) before a client attached after the ring
/// wrapped, and restores it (`ESC 8`) after: pyte's rendering of what the client received
/// shows what tmux shows for the program, and tmux's rendering of it the same colours.
#[test]
fn the_saved_cursor_survives_a_restore() {
    let (restored, tmux) = saved_cursor_run("\\0337", "\\0338");
    let (shown, cursor) = venv::pyte_render(&restored, 80, 24);
    assert_eq!(
        shown,
        tmux.capture().unwrap(),
        "pyte's rendering of the restore vs tmux's capture"
    );
    let (y, x) = tmux.cursor().unwrap();
    assert_eq!(cursor, format!("{y} {x} hidden=0"));
    assert_eq!(
        styled(&tmux_pane(&restored, 80, 24)),
        styled(&tmux),
        "tmux: the restore's colours vs the program's"
    );
}

/// The same with the SCO save and restore (`CSI s`, `CSI u`), which pyte does not know: tmux
/// renders what the client received.
#[test]
fn an_sco_saved_cursor_survives_a_restore() {
    let (restored, tmux) = saved_cursor_run("\\033[s", "\\033[u");
    assert_eq!(
        styled(&tmux_pane(&restored, 80, 24)),
        styled(&tmux),
        "tmux: the restore vs the program"
    );
}

/// How long an attach with a snapshot of a 200×50 screen full of colours takes, end to end
/// through the agent (printed, not asserted).
#[test]
fn restore_of_a_200x50_screen_is_timed() {
    let home = Home::new();
    let a = home.agent_initialized();
    let (sid, _) = frame_session(&a, &home, 200, 50, 20_000, true);
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..7 {
        let b = home.agent_initialized();
        let t = Instant::now();
        let r = attach(&b, &sid, "screen");
        times.push(t.elapsed());
        let snap = b64(&r["snapshot"]["data"]);
        size = snap.len();
        let (shown, _) = venv::pyte_render(&snap, 200, 50);
        assert!(shown[0].starts_with("HEADER frame demo"), "{shown:#?}");
    }
    times.sort();
    println!(
        "restore 200x50: median {:.2} ms, max {:.2} ms over {} attaches, snapshot {size} bytes",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The screen model's cost beside the ring: the same output pushed into a ring alone, and fed
/// to the screen model then the ring, as the daemon does (printed; run with `--release`).
#[test]
fn screen_model_throughput_against_the_ring() {
    use outpost_agent::terminal::ring::Ring;
    use outpost_agent::terminal::screen::Screen;

    // A coloured listing, a plain flood and a full-screen redraw, in 64 KiB reads.
    let mut listing = Vec::new();
    for i in 0..2000 {
        listing.extend_from_slice(
            format!("-rw-r--r-- 1 ann ann {i:8} Mar 14 09:26 \x1b[01;34mfile-{i}\x1b[0m\r\n")
                .as_bytes(),
        );
    }
    let plain = b"y\r\n".repeat(40_000);
    let mut redraw = Vec::new();
    for r in 1..=50 {
        redraw.extend_from_slice(format!("\x1b[{r};1H\x1b[38;5;{}m", r % 256).as_bytes());
        redraw.extend_from_slice(&[b'x'; 200]);
    }
    for (name, sample) in [("listing", listing), ("yes", plain), ("redraw", redraw)] {
        // Debug builds are an order of magnitude slower: less there (the figures come from
        // `--release`).
        let total = if cfg!(debug_assertions) { 2 } else { 32 } * 1024 * 1024;
        let stream: Vec<u8> = sample.iter().copied().cycle().take(total).collect();
        let mut ring = Ring::new(2 * 1024 * 1024);
        let t = Instant::now();
        for chunk in stream.chunks(64 * 1024) {
            ring.push(chunk);
        }
        let ring_only = t.elapsed();
        let mut ring = Ring::new(2 * 1024 * 1024);
        let mut screen = Screen::new(200, 50);
        let t = Instant::now();
        for chunk in stream.chunks(64 * 1024) {
            screen.feed(chunk);
            ring.push(chunk);
        }
        let both = t.elapsed();
        let mib = total as f64 / (1024.0 * 1024.0);
        println!(
            "throughput {name}: ring {:.0} MiB/s, screen+ring {:.0} MiB/s",
            mib / ring_only.as_secs_f64(),
            mib / both.as_secs_f64()
        );
        assert_eq!(screen.end(), total as u64);
    }
}
