//! A [`Prompter`] for front ends that ask asynchronously (the GUI's dialogs).
//!
//! Each question becomes a numbered [`PromptRequest`] handed to a callback (the GUI emits it as
//! an event); the connecting task waits until [`PromptBroker::answer`] is called with that
//! number. Unanswered prompts are cancelled when the broker is dropped, and an answer of the
//! wrong kind counts as a refusal, so a confused front end can never trust a key by accident.
//!
//! A host whose keys of other types are on record is a request of its own kind
//! ([`PromptRequest::HostKeyOtherTypes`]), so a front end cannot show it as an ordinary first
//! meeting. A keyboard-interactive exchange's name, instructions and prompt are the server's
//! words: they arrive with control characters made visible ([`visible`], [`visible_lines`]), for
//! the front end to show quoted under a heading of its own naming `user@host` as the asker.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::engine::ssh::host_cert::CertificateInfo;
use crate::engine::ssh::known_hosts::KnownKey;
use crate::engine::ssh::{
    visible, visible_lines, BoxFuture, HostKeyDecision, HostKeyQuestion, Prompter, SecretKind,
    SecretPrompt,
};

/// Which secret a [`PromptRequest::Secret`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SecretAsked {
    /// The user's password on the host.
    Password,
    /// A private key file's passphrase.
    Passphrase,
    /// One question of a keyboard-interactive exchange.
    KeyboardInteractive,
}

/// The answers to a host-key question, as the front end sends them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HostKeyAnswer {
    /// Do not connect.
    Reject,
    /// Trust the key for this connection only.
    Once,
    /// Trust it and save it in Outpost's `known_hosts`.
    Always,
}

impl HostKeyAnswer {
    /// The answer a front end's text stands for (anything else rejects).
    pub fn from_text(text: &str) -> HostKeyAnswer {
        match text {
            "once" => HostKeyAnswer::Once,
            "always" => HostKeyAnswer::Always,
            _ => HostKeyAnswer::Reject,
        }
    }
}

/// What the front end is asked to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PromptRequest {
    /// An unknown host key: trust it?
    HostKey {
        /// Answer with this number.
        id: u64,
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
        /// Key type (`ssh-ed25519`, …).
        key_type: String,
        /// `SHA256:…` fingerprint.
        fingerprint: String,
        /// The host certificate the key came in (its CA and principals), when there was one.
        certificate: Option<CertificateInfo>,
    },
    /// A key of a type never seen for a host whose keys of *other* types are on record: possibly
    /// a man in the middle offering only another key type. Warn; refusing is the default.
    HostKeyOtherTypes {
        /// Answer with this number.
        id: u64,
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
        /// The presented key's type.
        key_type: String,
        /// The presented key's `SHA256:…` fingerprint.
        fingerprint: String,
        /// The keys on record for this host (other types).
        known: Vec<KnownKey>,
        /// The host certificate the key came in (its CA and principals), when there was one.
        certificate: Option<CertificateInfo>,
    },
    /// A secret.
    Secret {
        /// Answer with this number.
        id: u64,
        /// The host asking.
        host: String,
        /// The user logging in.
        user: String,
        /// Which secret.
        secret: SecretAsked,
        /// The key file, for a passphrase.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        key_path: Option<String>,
        /// Keyboard-interactive: the exchange's name (the server's text, controls made visible).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        name: Option<String>,
        /// Keyboard-interactive: instructions (the server's text, controls made visible, line
        /// breaks kept).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        instructions: Option<String>,
        /// Keyboard-interactive: the question (the server's text, controls made visible).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        prompt: Option<String>,
        /// Whether the answer may be shown while typed.
        echo: bool,
    },
}

/// The front end's answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum PromptAnswer {
    /// A host-key decision (`reject`, `once`, `always`) or a secret.
    Text(String),
    /// Cancel.
    Cancel,
}

enum Waiter {
    HostKey(oneshot::Sender<HostKeyDecision>),
    Secret(oneshot::Sender<Option<String>>),
}

type Emit = Box<dyn Fn(PromptRequest) + Send + Sync>;

/// Turns prompts into numbered requests and answers back into decisions.
pub struct PromptBroker {
    emit: Emit,
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, Waiter>>,
}

impl PromptBroker {
    /// A broker that shows each request through `emit`.
    pub fn new(emit: impl Fn(PromptRequest) + Send + Sync + 'static) -> Self {
        PromptBroker {
            emit: Box::new(emit),
            next: AtomicU64::new(1),
            waiting: Mutex::default(),
        }
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Waiter>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answers request `id`; false when no such request waits.
    pub fn answer(&self, id: u64, answer: PromptAnswer) -> bool {
        let Some(waiter) = self.waiting().remove(&id) else {
            return false;
        };
        match waiter {
            Waiter::HostKey(tx) => {
                let decision = match answer {
                    PromptAnswer::Text(t) => match HostKeyAnswer::from_text(&t) {
                        HostKeyAnswer::Once => HostKeyDecision::AcceptOnce,
                        HostKeyAnswer::Always => HostKeyDecision::AcceptAndSave,
                        HostKeyAnswer::Reject => HostKeyDecision::Reject,
                    },
                    PromptAnswer::Cancel => HostKeyDecision::Reject,
                };
                let _ = tx.send(decision);
            }
            Waiter::Secret(tx) => {
                let _ = tx.send(match answer {
                    PromptAnswer::Text(t) => Some(t),
                    PromptAnswer::Cancel => None,
                });
            }
        }
        true
    }

    /// How many prompts wait for an answer.
    pub fn pending(&self) -> usize {
        self.waiting().len()
    }

    fn id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }
}

impl Prompter for PromptBroker {
    fn host_key(&self, q: HostKeyQuestion) -> BoxFuture<'_, HostKeyDecision> {
        let id = self.id();
        let (tx, rx) = oneshot::channel();
        self.waiting().insert(id, Waiter::HostKey(tx));
        (self.emit)(if q.other_types_known() {
            PromptRequest::HostKeyOtherTypes {
                id,
                host: q.host,
                port: q.port,
                key_type: q.key_type,
                fingerprint: q.fingerprint,
                known: q.known,
                certificate: q.certificate,
            }
        } else {
            PromptRequest::HostKey {
                id,
                host: q.host,
                port: q.port,
                key_type: q.key_type,
                fingerprint: q.fingerprint,
                certificate: q.certificate,
            }
        });
        Box::pin(async move { rx.await.unwrap_or(HostKeyDecision::Reject) })
    }

    fn secret(&self, p: SecretPrompt) -> BoxFuture<'_, Option<String>> {
        let id = self.id();
        let (tx, rx) = oneshot::channel();
        self.waiting().insert(id, Waiter::Secret(tx));
        let (secret, key_path, name, instructions, prompt, echo) = match p.kind {
            SecretKind::Password => (SecretAsked::Password, None, None, None, None, false),
            SecretKind::Passphrase { key_path } => (
                SecretAsked::Passphrase,
                Some(key_path.display().to_string()),
                None,
                None,
                None,
                false,
            ),
            SecretKind::KeyboardInteractive {
                name,
                instructions,
                prompt,
                echo,
            } => (
                SecretAsked::KeyboardInteractive,
                None,
                Some(visible(&name)),
                Some(visible_lines(&instructions)),
                Some(visible(&prompt)),
                echo,
            ),
        };
        (self.emit)(PromptRequest::Secret {
            id,
            host: p.host,
            user: p.user,
            secret,
            key_path,
            name,
            instructions,
            prompt,
            echo,
        });
        Box::pin(async move { rx.await.unwrap_or(None) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn broker() -> (Arc<PromptBroker>, Arc<Mutex<Vec<PromptRequest>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let b = PromptBroker::new(move |r| s.lock().unwrap().push(r));
        (Arc::new(b), seen)
    }

    /// A keyboard-interactive question from `me@jump`.
    fn kbd(name: &str, instructions: &str, prompt: &str, echo: bool) -> SecretPrompt {
        SecretPrompt {
            host: "jump".into(),
            user: "me".into(),
            kind: SecretKind::KeyboardInteractive {
                name: name.into(),
                instructions: instructions.into(),
                prompt: prompt.into(),
                echo,
            },
        }
    }

    /// Waits until a prompt is pending; the newest request shown, as JSON.
    async fn shown(b: &PromptBroker, seen: &Mutex<Vec<PromptRequest>>) -> serde_json::Value {
        while b.pending() == 0 {
            tokio::task::yield_now().await;
        }
        let seen = seen.lock().unwrap();
        serde_json::to_value(seen.last().unwrap()).unwrap()
    }

    fn question() -> HostKeyQuestion {
        HostKeyQuestion {
            host: "jump".into(),
            port: 22,
            key_type: "ssh-ed25519".into(),
            fingerprint: "SHA256:abc".into(),
            known: Vec::new(),
            certificate: None,
        }
    }

    #[tokio::test]
    async fn other_key_types_known_is_its_own_request_and_cancel_rejects() {
        let (b, seen) = broker();
        let b2 = b.clone();
        let mut q = question();
        q.known = vec![KnownKey {
            key_type: "ecdsa-sha2-nistp256".into(),
            fingerprint: "SHA256:old".into(),
        }];
        let ask = tokio::spawn(async move { b2.host_key(q).await });
        let json = shown(&b, &seen).await;
        assert_eq!(json["kind"], "host_key_other_types");
        assert_eq!(json["known"][0]["key_type"], "ecdsa-sha2-nistp256");
        assert_eq!(json["known"][0]["fingerprint"], "SHA256:old");
        assert_eq!(json["fingerprint"], "SHA256:abc");
        b.answer(json["id"].as_u64().unwrap(), PromptAnswer::Cancel);
        assert_eq!(ask.await.unwrap(), HostKeyDecision::Reject);
    }

    #[tokio::test]
    async fn keyboard_interactive_text_arrives_with_controls_visible() {
        let (b, seen) = broker();
        let b2 = b.clone();
        let ask = tokio::spawn(async move {
            b2.secret(kbd(
                "Outpost\x1b[2J",
                "line one\nEnter your key passphrase\x1b]0;x\x07",
                "Passphrase:\x1b[8m ",
                false,
            ))
            .await
        });
        let json = shown(&b, &seen).await;
        assert_eq!(json["name"], "Outpost\\033[2J");
        assert_eq!(
            json["instructions"],
            "line one\nEnter your key passphrase\\033]0;x\\007"
        );
        assert_eq!(json["prompt"], "Passphrase:\\033[8m ");
        b.answer(json["id"].as_u64().unwrap(), PromptAnswer::Cancel);
        assert_eq!(ask.await.unwrap(), None);
    }

    #[tokio::test]
    async fn host_key_answers_map_to_decisions() {
        for (text, want) in [
            ("once", HostKeyDecision::AcceptOnce),
            ("always", HostKeyDecision::AcceptAndSave),
            ("reject", HostKeyDecision::Reject),
            ("yes please", HostKeyDecision::Reject),
        ] {
            let (b, seen) = broker();
            let b2 = b.clone();
            let ask = tokio::spawn(async move { b2.host_key(question()).await });
            while b.pending() == 0 {
                tokio::task::yield_now().await;
            }
            let id = match &seen.lock().unwrap()[0] {
                PromptRequest::HostKey {
                    id, fingerprint, ..
                } => {
                    assert_eq!(fingerprint, "SHA256:abc");
                    *id
                }
                other => panic!("unexpected {other:?}"),
            };
            assert!(b.answer(id, PromptAnswer::Text(text.into())));
            assert_eq!(ask.await.unwrap(), want, "answer {text}");
            assert!(!b.answer(id, PromptAnswer::Cancel), "answered twice");
        }
    }

    #[tokio::test]
    async fn secrets_carry_the_answer_or_cancel() {
        let (b, seen) = broker();
        let b2 = b.clone();
        let ask = tokio::spawn(async move { b2.secret(kbd("", "", "Code: ", true)).await });
        let json = shown(&b, &seen).await;
        assert_eq!(json["kind"], "secret");
        assert_eq!(json["secret"], "keyboard_interactive");
        assert_eq!(json["prompt"], "Code: ");
        assert_eq!(json["echo"], true);
        let id = json["id"].as_u64().unwrap();
        b.answer(id, PromptAnswer::Text("123456".into()));
        assert_eq!(ask.await.unwrap().as_deref(), Some("123456"));

        let b3 = b.clone();
        let ask = tokio::spawn(async move {
            b3.secret(SecretPrompt {
                host: "jump".into(),
                user: "me".into(),
                kind: SecretKind::Password,
            })
            .await
        });
        while b.pending() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(b.answer(id + 1, PromptAnswer::Cancel));
        assert_eq!(ask.await.unwrap(), None);
    }

    #[test]
    fn answers_parse_from_json() {
        let a: PromptAnswer = serde_json::from_str("\"always\"").unwrap();
        assert_eq!(a, PromptAnswer::Text("always".into()));
        let c: PromptAnswer = serde_json::from_str("null").unwrap();
        assert_eq!(c, PromptAnswer::Cancel);
    }
}
