//! The exec state machine of one session: pure, fed the trusted marks of the session's shell
//! (those carrying its nonce, [`crate::exec::integration`]), the output as it arrives, and the
//! times, by offsets; no I/O, no clock.
//!
//! - The shell is *at its prompt* after a trusted prompt mark (OSC 133 `A` or `B`) with no
//!   command start (`C`) or end (`D`) since. Only then may an exec [`Tracker::begin`]; the
//!   caller then types the command line.
//! - The exec's output starts at its `C` mark; for shells that give none, after the echoed
//!   command line: the line end that follows the command's characters, found in order in the
//!   output from where it was typed (escape sequences, line ends from wrapping, and prompts of
//!   continuation lines in between are passed over).
//! - It ends at the next trusted `D`, with that mark's exit status; a session that ends first
//!   leaves it [`ExecState::Lost`].
//! - The last [`MAX_EXEC_RESULTS_KEPT`] execs are kept, numbered from 1.

use std::collections::VecDeque;

use outpost_protocol::exec::MAX_EXEC_RESULTS_KEPT;

/// A trusted mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustedMark {
    /// `A`: a prompt starts.
    PromptStart,
    /// `B`: the prompt ended, the command line starts.
    CommandStart,
    /// `C`: a command runs; its output starts.
    OutputStart,
    /// `D`: a command ended, with its status when given.
    CommandEnd(Option<i32>),
}

/// Where an exec stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecState {
    /// Typed; the command runs.
    Running,
    /// Its end mark came.
    Done,
    /// The session ended before the command did.
    Lost,
}

/// One exec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exec {
    /// Its number in the session (from 1).
    pub number: u64,
    /// Where it stands.
    pub state: ExecState,
    /// The output offset where the command line was typed.
    pub typed_at: u64,
    /// Where its output starts, once known (the `C` mark, or the end of the echo).
    pub output_from: Option<u64>,
    /// Where its output ended (the `D` mark), once it ended.
    pub output_to: Option<u64>,
    /// The exit status from the `D` mark.
    pub exit_code: Option<i32>,
    /// When it was typed, in the caller's milliseconds.
    pub started_ms: u64,
    /// When it ended.
    pub ended_ms: Option<u64>,
    /// The shell's directory when it ended (OSC 7).
    pub cwd: Option<String>,
    /// The end of the echoed command line, when seen (the output start for shells without `C`).
    echo_end: Option<u64>,
    /// Looks for the echo's end, for shells without `C`.
    echo: Option<Echo>,
    /// Whether a `C` mark was seen for it.
    saw_output_start: bool,
}

/// Finds where the echo of a typed command line ends (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Echo {
    /// The command's bytes still to see, reversed (line ends left out).
    rest: Vec<u8>,
    escape: Escape,
}

/// Where the echo scanner stands in an escape sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    /// After ESC.
    Start,
    /// In a CSI sequence.
    Csi,
    /// In an OSC string.
    Osc,
    /// After ESC inside an OSC string (ST is `ESC \`).
    OscEsc,
}

impl Echo {
    fn new(command: &[u8]) -> Echo {
        Echo {
            rest: command
                .iter()
                .rev()
                .copied()
                .filter(|&b| b != b'\n' && b != b'\r')
                .collect(),
            escape: Escape::None,
        }
    }

    /// Feeds one byte; true at the line end that ends the echo.
    fn feed(&mut self, b: u8) -> bool {
        self.escape = match (self.escape, b) {
            (Escape::None, 0x1b) => Escape::Start,
            (Escape::None, _) => {
                if self.rest.is_empty() {
                    return b == b'\n';
                }
                if self.rest.last() == Some(&b) {
                    self.rest.pop();
                }
                Escape::None
            }
            (Escape::Start, b'[') => Escape::Csi,
            (Escape::Start, b']') => Escape::Osc,
            (Escape::Start, _) => Escape::None,
            (Escape::Csi, 0x40..=0x7e) => Escape::None,
            (Escape::Csi, _) => Escape::Csi,
            (Escape::Osc, 0x07) => Escape::None,
            (Escape::Osc, 0x1b) => Escape::OscEsc,
            (Escape::Osc, _) => Escape::Osc,
            (Escape::OscEsc, _) => Escape::None,
        };
        false
    }
}

impl Exec {
    /// Where the output starts, as far as known at `end` (the `C` mark, else the echo's end,
    /// else where the command was typed), never after `end`.
    pub fn output_start(&self, end: u64) -> u64 {
        self.output_from
            .or(self.echo_end)
            .unwrap_or(self.typed_at)
            .min(end)
    }
}

/// Why an exec cannot start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    /// Another exec still runs.
    #[error("exec {0} still runs in this session")]
    ExecRunning(u64),
    /// No trusted prompt mark since the last command started or ended.
    #[error("the shell is not at its prompt")]
    NotAtPrompt,
}

/// The exec state of one session.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    at_prompt: bool,
    /// The last trusted mark was a command end: the prompt is on its way.
    ended: bool,
    /// A trusted mark was seen: the shell has finished starting.
    started: bool,
    last_number: u64,
    execs: VecDeque<Exec>,
}

impl Tracker {
    /// A tracker that has seen nothing.
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Whether the shell showed a trusted prompt since its last command.
    pub fn at_prompt(&self) -> bool {
        self.at_prompt
    }

    /// Whether the last trusted mark was a command end (the shell is about to show its
    /// prompt).
    pub fn prompt_due(&self) -> bool {
        self.ended && self.running().is_none()
    }

    /// Whether the shell has shown no trusted mark yet (it is still reading its startup
    /// files; its first prompt is on its way).
    pub fn starting(&self) -> bool {
        !self.started
    }

    /// The exec that still runs.
    pub fn running(&self) -> Option<&Exec> {
        self.execs.back().filter(|e| e.state == ExecState::Running)
    }

    fn running_mut(&mut self) -> Option<&mut Exec> {
        self.execs
            .back_mut()
            .filter(|e| e.state == ExecState::Running)
    }

    /// Starts an exec of `command` typed at offset `typed_at`; `marks_c`: whether the shell
    /// marks output starts. Returns its number.
    pub fn begin(
        &mut self,
        typed_at: u64,
        command: &[u8],
        marks_c: bool,
        now_ms: u64,
    ) -> Result<u64, Busy> {
        if let Some(e) = self.running() {
            return Err(Busy::ExecRunning(e.number));
        }
        if !self.at_prompt {
            return Err(Busy::NotAtPrompt);
        }
        self.at_prompt = false;
        self.last_number += 1;
        if self.execs.len() == MAX_EXEC_RESULTS_KEPT {
            self.execs.pop_front();
        }
        self.execs.push_back(Exec {
            number: self.last_number,
            state: ExecState::Running,
            typed_at,
            output_from: None,
            output_to: None,
            exit_code: None,
            started_ms: now_ms,
            ended_ms: None,
            cwd: None,
            echo_end: None,
            // With a `C` mark the echo does not matter.
            echo: (!marks_c).then(|| Echo::new(command)),
            saw_output_start: false,
        });
        Ok(self.last_number)
    }

    /// Output bytes `data` at `offset` (before the marks found in them are fed).
    pub fn output(&mut self, offset: u64, data: &[u8]) {
        let Some(e) = self.running_mut() else {
            return;
        };
        let Some(echo) = e.echo.as_mut() else {
            return;
        };
        for (i, &b) in data.iter().enumerate() {
            let at = offset + i as u64;
            if at >= e.typed_at && echo.feed(b) {
                e.echo_end = Some(at + 1);
                e.echo = None;
                return;
            }
        }
    }

    /// A trusted mark at `offset`; `cwd` is the shell's directory as last reported.
    pub fn mark(&mut self, offset: u64, mark: TrustedMark, cwd: Option<&str>, now_ms: u64) {
        self.started = true;
        self.ended = matches!(mark, TrustedMark::CommandEnd(_));
        match mark {
            TrustedMark::PromptStart | TrustedMark::CommandStart => {
                // A prompt before the running exec's end mark (a shell without `D` for it) is
                // not a prompt it may be typed at: wait for the end.
                if self.running().is_none() {
                    self.at_prompt = true;
                }
            }
            TrustedMark::OutputStart => {
                self.at_prompt = false;
                if let Some(e) = self.running_mut() {
                    if !e.saw_output_start && offset >= e.typed_at {
                        e.saw_output_start = true;
                        e.output_from = Some(offset);
                    }
                }
            }
            TrustedMark::CommandEnd(exit) => {
                self.at_prompt = false;
                if let Some(e) = self.running_mut() {
                    if offset < e.typed_at {
                        return;
                    }
                    let from = e.output_start(offset);
                    e.output_from = Some(from);
                    e.output_to = Some(offset);
                    e.exit_code = exit;
                    e.ended_ms = Some(now_ms);
                    e.cwd = cwd.map(str::to_string);
                    e.state = ExecState::Done;
                }
            }
        }
    }

    /// Gives up exec `n` if it is still running and its shell never marked it started (a line
    /// the shell did not run: fish keeps a line it cannot parse on its command line); the
    /// caller has cancelled the line. Ends it at `end` without a status and counts the shell
    /// as at its prompt; true when it did.
    pub fn abandon_unstarted(&mut self, n: u64, end: u64, now_ms: u64) -> bool {
        let Some(e) = self
            .running_mut()
            .filter(|e| e.number == n && e.echo.is_none())
        else {
            return false;
        };
        if e.saw_output_start {
            return false;
        }
        let from = e.output_start(end);
        e.output_from = Some(from);
        e.output_to = Some(end);
        e.ended_ms = Some(now_ms);
        e.state = ExecState::Done;
        self.at_prompt = true;
        true
    }

    /// Gives up exec `n` if it is still running, started or not (its end mark will never come:
    /// an `ssh` session's line cut short, [`crate::exec::remote`]): ends it at `end` without a
    /// status.
    pub fn abandon(&mut self, n: u64, end: u64, now_ms: u64) {
        if let Some(e) = self.running_mut().filter(|e| e.number == n) {
            let from = e.output_start(end);
            e.output_from = Some(from);
            e.output_to = Some(end.max(from));
            e.ended_ms = Some(now_ms);
            e.state = ExecState::Done;
        }
    }

    /// The session ended at output offset `end`.
    pub fn session_ended(&mut self, end: u64, now_ms: u64) {
        self.at_prompt = false;
        self.ended = false;
        if let Some(e) = self.running_mut() {
            let from = e.output_start(end);
            e.output_from = Some(from);
            e.output_to = Some(end);
            e.ended_ms = Some(now_ms);
            e.state = ExecState::Lost;
        }
    }

    /// Exec number `n`, while kept.
    pub fn get(&self, n: u64) -> Option<&Exec> {
        self.execs.iter().find(|e| e.number == n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at_prompt() -> Tracker {
        let mut t = Tracker::new();
        t.mark(0, TrustedMark::CommandEnd(Some(0)), None, 0);
        t.mark(5, TrustedMark::PromptStart, None, 0);
        t
    }

    #[test]
    fn an_exec_runs_from_its_output_mark_to_its_end_mark() {
        let mut t = at_prompt();
        assert_eq!(t.begin(10, b"ls", true, 100), Ok(1));
        assert_eq!(t.begin(10, b"ls", true, 100), Err(Busy::ExecRunning(1)));
        t.output(10, b"ls\r\n");
        t.mark(14, TrustedMark::OutputStart, None, 101);
        t.mark(30, TrustedMark::CommandEnd(Some(2)), Some("/tmp"), 150);
        let e = t.get(1).unwrap_or_else(|| panic!("kept"));
        assert_eq!(e.state, ExecState::Done);
        assert_eq!((e.output_from, e.output_to), (Some(14), Some(30)));
        assert_eq!(e.exit_code, Some(2));
        assert_eq!(e.cwd.as_deref(), Some("/tmp"));
        assert_eq!(e.ended_ms, Some(150));
        assert_eq!(t.begin(40, b"ls", true, 0), Err(Busy::NotAtPrompt));
        t.mark(35, TrustedMark::PromptStart, None, 0);
        assert_eq!(t.begin(40, b"ls", true, 0), Ok(2));
    }

    #[test]
    fn without_an_output_mark_output_starts_after_the_echo() {
        let mut t = at_prompt();
        t.begin(10, b"echo a\\\nb", false, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        // The echo wraps, a continuation prompt and colours come between its characters.
        let echo = b"ec\x1b[1mho\x1b[m a\\\r\n\x1b]0;t\x07> b\r\n";
        t.output(10, echo);
        t.output(10 + echo.len() as u64, b"a b\r\n");
        t.mark(50, TrustedMark::CommandEnd(Some(0)), None, 0);
        let e = t.get(1).unwrap_or_else(|| panic!("kept"));
        assert_eq!(e.output_from, Some(10 + echo.len() as u64));
    }

    #[test]
    fn a_line_the_shell_never_ran_can_be_abandoned() {
        let mut t = at_prompt();
        t.begin(10, b")", true, 0).unwrap_or_else(|e| panic!("{e}"));
        assert!(t.abandon_unstarted(1, 40, 9));
        let e = t.get(1).unwrap_or_else(|| panic!("kept"));
        assert_eq!(
            (e.state, e.exit_code, e.output_to),
            (ExecState::Done, None, Some(40))
        );
        assert!(t.at_prompt());
        // One that started is not given up.
        t.begin(50, b"sleep 9", true, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        t.mark(55, TrustedMark::OutputStart, None, 0);
        assert!(!t.abandon_unstarted(2, 60, 0));
        assert_eq!(t.running().map(|e| e.number), Some(2));
    }

    #[test]
    fn a_session_that_ends_loses_the_running_exec() {
        let mut t = at_prompt();
        t.begin(10, b"ls", true, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        t.session_ended(20, 5);
        let e = t.get(1).unwrap_or_else(|| panic!("kept"));
        assert_eq!(e.state, ExecState::Lost);
        assert_eq!(e.exit_code, None);
        assert!(!t.at_prompt());
    }

    #[test]
    fn only_the_last_results_are_kept() {
        let mut t = at_prompt();
        for i in 0..(MAX_EXEC_RESULTS_KEPT as u64 + 3) {
            let at = 10 + i * 10;
            t.begin(at, b"ls", true, 0)
                .unwrap_or_else(|e| panic!("{e}"));
            t.mark(at + 5, TrustedMark::CommandEnd(Some(0)), None, 0);
            t.mark(at + 6, TrustedMark::PromptStart, None, 0);
        }
        assert!(t.get(3).is_none());
        assert!(t.get(4).is_some());
        assert!(t.get(MAX_EXEC_RESULTS_KEPT as u64 + 3).is_some());
    }

    #[derive(Clone, Debug)]
    enum Step {
        Begin(Vec<u8>, bool),
        Output(Vec<u8>),
        Mark(u8, Option<i32>),
        End,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (proptest::collection::vec(any::<u8>(), 1..6), any::<bool>())
                .prop_map(|(cmd, c)| Step::Begin(cmd, c)),
            proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..20)
                .prop_map(Step::Output),
            (0u8..4, proptest::option::of(-1i32..300)).prop_map(|(k, e)| Step::Mark(k, e)),
            Just(Step::End),
        ]
    }

    proptest! {
        /// Whatever the shell prints, at most one exec runs, numbers grow, at most the kept
        /// number are held, and every finished exec has output_from <= output_to within what
        /// was printed after it was typed.
        #[test]
        fn invariants_hold(steps in proptest::collection::vec(step(), 0..200)) {
            let mut t = Tracker::new();
            let mut end = 0u64;
            for s in steps {
                match s {
                    Step::Begin(cmd, c) => {
                        let was_ready = t.at_prompt() && t.running().is_none();
                        prop_assert_eq!(t.begin(end, &cmd, c, 0).is_ok(), was_ready);
                    }
                    Step::Output(d) => {
                        t.output(end, &d);
                        end += d.len() as u64;
                    }
                    Step::Mark(k, e) => {
                        let m = match k {
                            0 => TrustedMark::PromptStart,
                            1 => TrustedMark::CommandStart,
                            2 => TrustedMark::OutputStart,
                            _ => TrustedMark::CommandEnd(e),
                        };
                        t.mark(end, m, None, 0);
                        end += 3;
                    }
                    Step::End => t.session_ended(end, 0),
                }
                prop_assert!(t.execs.len() <= MAX_EXEC_RESULTS_KEPT);
                let running = t.execs.iter().filter(|e| e.state == ExecState::Running).count();
                prop_assert!(running <= 1);
                for w in t.execs.iter().collect::<Vec<_>>().windows(2) {
                    prop_assert!(w[0].number < w[1].number);
                    prop_assert!(w[0].state != ExecState::Running);
                }
                for e in &t.execs {
                    if e.state != ExecState::Running {
                        let (from, to) = (e.output_from.unwrap_or(0), e.output_to.unwrap_or(0));
                        prop_assert!(e.typed_at <= from && from <= to && to <= end);
                    }
                }
            }
        }
    }
}
