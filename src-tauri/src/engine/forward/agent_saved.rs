//! Saved local ports of agent-owned forwards, per host, kept with the other saved forwards in
//! `forwards.json` (its `agent` map; [`SavedForwards`]): which agent-owned forward (the session it
//! goes through, if any, and its destination — what `forward.open` is idempotent on) a desktop
//! port leads to. The window opens each again when it starts (`forward.open` answers the
//! existing forward, or makes it again if the host lost it) and binds the same port. At most
//! [`MAX_SAVED_PER_HOST`] a host; every entry is checked when read.

use serde::{Deserialize, Serialize};

use super::error::ForwardError;
use super::saved::{SavedForwards, MAX_SAVED_PER_HOST};
use super::spec::ForwardSpec;

/// One saved local port of an agent-owned forward.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedAgentForward {
    /// The session whose target reaches the destination (none: the host itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The desktop listener (an `-L` spec: bind, port, and the forward's destination).
    pub local: ForwardSpec,
}

impl SavedAgentForward {
    /// Whether this is the saved port of the agent's forward to `dest_host:dest_port` through
    /// `session_id`.
    pub fn leads_to(&self, session_id: Option<&str>, dest_host: &str, dest_port: u16) -> bool {
        self.session_id.as_deref() == session_id
            && matches!(&self.local, ForwardSpec::Local { dest_host: h, dest_port: p, .. }
                if h == dest_host && *p == dest_port)
    }

    fn check(&self) -> Result<(), String> {
        if let Some(s) = &self.session_id {
            if !outpost_protocol::session::valid_session_id(s) {
                return Err("the session id is not 1 to 32 characters of [a-z0-9]".into());
            }
        }
        match &self.local {
            ForwardSpec::Local { port: 0, .. } => Err("the saved port is 0".into()),
            ForwardSpec::Local { .. } => self.local.check(),
            _ => Err("only -L forwards are agent-owned".into()),
        }
    }
}

impl SavedForwards {
    /// Checks the saved agent-owned ports as read (bounds, session ids, specs).
    pub fn check_agent(&self) -> Result<(), String> {
        for (host, list) in &self.agent {
            if list.len() > MAX_SAVED_PER_HOST {
                return Err(format!(
                    "more than {MAX_SAVED_PER_HOST} agent-owned ports for {host}"
                ));
            }
            for s in list {
                s.check().map_err(|r| format!("{}: {r}", s.local.id()))?;
            }
        }
        Ok(())
    }

    /// `host`'s saved agent-owned forward ports.
    pub fn agent_of(&self, host: &str) -> &[SavedAgentForward] {
        self.agent.get(host).map_or(&[], Vec::as_slice)
    }

    /// Saves `entry` for `host`, replacing the port saved for the same forward.
    pub fn put_agent(&mut self, host: &str, entry: SavedAgentForward) -> Result<(), ForwardError> {
        entry.check().map_err(|reason| ForwardError::Invalid {
            spec: entry.local.id(),
            reason,
        })?;
        let list = self.agent.entry(host.to_string()).or_default();
        if let ForwardSpec::Local {
            dest_host,
            dest_port,
            ..
        } = &entry.local
        {
            let (s, h, p) = (entry.session_id.clone(), dest_host.clone(), *dest_port);
            list.retain(|e| !e.leads_to(s.as_deref(), &h, p));
        }
        if list.len() >= MAX_SAVED_PER_HOST {
            return Err(ForwardError::Store(format!(
                "{host} has {MAX_SAVED_PER_HOST} saved agent-owned forwards already"
            )));
        }
        list.push(entry);
        Ok(())
    }

    /// Forgets `host`'s saved port of the agent's forward to `dest_host:dest_port` through
    /// `session_id`; true when there was one.
    pub fn remove_agent(
        &mut self,
        host: &str,
        session_id: Option<&str>,
        dest_host: &str,
        dest_port: u16,
    ) -> bool {
        let Some(list) = self.agent.get_mut(host) else {
            return false;
        };
        let before = list.len();
        list.retain(|e| !e.leads_to(session_id, dest_host, dest_port));
        let removed = list.len() != before;
        if list.is_empty() {
            self.agent.remove(host);
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::forward::saved::path;

    fn entry(session: Option<&str>, l: &str) -> SavedAgentForward {
        SavedAgentForward {
            session_id: session.map(str::to_string),
            local: ForwardSpec::parse_local(l).unwrap(),
        }
    }

    #[test]
    fn one_port_per_forward_saved_beside_the_others_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SavedForwards::load(dir.path()).unwrap();
        s.add("jump", ForwardSpec::parse_dynamic("1080").unwrap())
            .unwrap();
        s.put_agent("jump", entry(None, "8080:db:5432")).unwrap();
        // The same forward saved again replaces its port; through a session it is another one.
        s.put_agent("jump", entry(None, "8081:db:5432")).unwrap();
        s.put_agent("jump", entry(Some("k3v9"), "8082:db:5432"))
            .unwrap();
        assert_eq!(s.agent_of("jump").len(), 2);
        assert_eq!(s.agent_of("jump")[0].local.listen().1, 8081);
        s.store(dir.path()).unwrap();
        let mut back = SavedForwards::load(dir.path()).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.of("jump").len(), 1);
        assert!(back.remove_agent("jump", Some("k3v9"), "db", 5432));
        assert!(!back.remove_agent("jump", Some("k3v9"), "db", 5432));
        assert!(back.remove_agent("jump", None, "db", 5432));
        assert!(back.agent.is_empty());
        // Without agent-owned ports the file has no `agent` key (older readers see no change).
        back.store(dir.path()).unwrap();
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(!text.contains("agent"), "{text}");
    }

    #[test]
    fn bad_entries_are_refused() {
        let mut s = SavedForwards::default();
        for bad in [
            entry(Some("Bad Id"), "8080:db:5432"),
            entry(None, "0:db:5432"),
            SavedAgentForward {
                session_id: None,
                local: ForwardSpec::parse_dynamic("1080").unwrap(),
            },
        ] {
            assert_eq!(s.put_agent("j", bad).unwrap_err().code(), "forward_invalid");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            path(dir.path()),
            r#"{"hosts":{},"agent":{"j":[{"session_id":"../x","local":{"kind":"local","bind":"127.0.0.1","port":1,"dest_host":"a","dest_port":2}}]}}"#,
        )
        .unwrap();
        assert_eq!(
            SavedForwards::load(dir.path()).unwrap_err().code(),
            "config"
        );
    }
}
