// Error codes → plain words: a short title and what to do next. The engine's message is always
// shown as well (it names the host and the cause); unknown codes get the message alone.
import type { ApiError } from "../api/types";

/** What an error box shows. */
export interface Advice {
  /** A short headline. */
  title: string;
  /** The engine's own explanation. */
  message: string;
  /** What the user can do next; null when there is nothing specific to say. */
  next: string | null;
}

const TABLE: Record<string, { title: string; next: string }> = {
  host_not_found: {
    title: "No such host",
    next: "The host may have been removed or renamed. Pick it again from the sidebar, or add it.",
  },
  host_exists: {
    title: "A host with this name already exists",
    next: "Choose another name, or edit the existing host instead.",
  },
  invalid: {
    title: "Some fields are not valid",
    next: "Check the highlighted fields (name, host name, port 1–65535) and save again.",
  },
  config: {
    title: "Outpost's settings could not be read or written",
    next: "Check that the configuration directory exists and that you can write to it.",
  },
  no_agent_binary: {
    title: "No Outpost agent for this host's platform",
    next: "Outpost needs an agent built for that system and CPU. Install a build that includes it, or use a Linux x86_64/aarch64 host.",
  },
  agent: {
    title: "The Outpost agent could not be started",
    next: "Check that the host's shell starts cleanly (no output from ~/.bashrc for non-interactive shells), then test the connection again.",
  },
  deploy: {
    title: "The agent could not be installed on the host",
    next: "Check free disk space and write access to your home directory on the host, then test the connection again.",
  },
  disconnected: {
    title: "The connection was lost",
    next: "Check the network and that the host is up, then try again.",
  },
  timeout: {
    title: "The host did not answer in time",
    next: "Check that the host is up and reachable (VPN, firewall), then try again.",
  },
  protocol: {
    title: "The host answered with something unexpected",
    next: "This can happen when the host's shell prints text at startup. Check your shell startup files, then test the connection again.",
  },
  usage: {
    title: "That request is not possible",
    next: "Check what you entered and try again.",
  },
  host_key_changed: {
    title: "The host key has changed — connection blocked",
    next: "If you know why the key changed (the host was reinstalled), remove the old key from known_hosts and connect again. Otherwise, do not connect and ask the host's administrator.",
  },
  host_key_revoked: {
    title: "The host's key is revoked",
    next: "Do not connect. Ask the host's administrator for the host's current key.",
  },
  host_key_rejected: {
    title: "The host key was not accepted",
    next: "Connect again and choose “Trust once” or “Trust and remember” if the fingerprint is the one you expect.",
  },
  auth_failed: {
    title: "Authentication failed",
    next: "Check the user name, the password or the key (identity file) for this host. A key may need to be added to the host's ~/.ssh/authorized_keys.",
  },
  cancelled: {
    title: "Cancelled",
    next: "Connect again when you are ready to answer the prompt.",
  },
  unreachable: {
    title: "The host cannot be reached",
    next: "Check the host name and port, your network (VPN) and any jump hosts, then try again.",
  },
  channel_refused: {
    title: "The host refused the request",
    next: "The SSH server may forbid commands or port forwarding for this user. Check its configuration.",
  },
  known_hosts: {
    title: "known_hosts could not be read or written",
    next: "Check the permissions of ~/.ssh/known_hosts and of Outpost's configuration directory.",
  },
  invalid_target: {
    title: "That SSH target is not valid",
    next: "Use the form user@host:port, a host name, or an alias from ~/.ssh/config.",
  },
  io: {
    title: "A local error occurred",
    next: "Check disk space and permissions, then try again.",
  },
  clipboard: {
    title: "The clipboard is not available",
    next: "Use the terminal's selection and your system's clipboard tools instead.",
  },
  detached: {
    title: "Detached",
    next: "The session keeps running. Reattach to go on, or close the tab.",
  },
  rpc_32001: {
    title: "This session no longer exists",
    next: "It was ended, or the host was restarted. Close this tab, or start a new session.",
  },
  rpc_32002: {
    title: "The agent was not ready",
    next: "Try again; if it keeps happening, test the connection to the host.",
  },
  rpc_32003: {
    title: "The session could not be started",
    next: "Read the reason above; for SSH sessions, check that the ssh client is installed on the host.",
  },
  rpc_32004: {
    title: "The agent on the host is a different version",
    next: "Test the connection to the host: Outpost installs a matching agent.",
  },
  rpc_32005: {
    title: "The session is no longer running",
    next: "Its program has ended. Close the tab or end the session.",
  },
  rpc_32006: {
    title: "Monitoring is not available for this target",
    next: "The link may be down or the target is not Linux; figures come back by themselves when it is reachable again.",
  },
  rpc_32007: {
    title: "The message was too large",
    next: "Send less at once (for example, paste in smaller parts).",
  },
  rpc_32008: {
    title: "A limit was reached",
    next: "Close some sessions or monitoring panels and try again.",
  },
  rpc_32602: {
    title: "The request was not valid",
    next: "Check what you entered (names, sizes) and try again.",
  },
  rpc_32603: {
    title: "The agent had an internal error",
    next: "Try again; if it keeps happening, see the agent's log on the host.",
  },
};

/** Headline and advice for an error; unknown codes keep the message and give no advice. */
export function adviceFor(error: ApiError): Advice {
  const known = TABLE[error.code];
  if (known === undefined) return { title: "Something went wrong", message: error.message, next: null };
  return { title: known.title, message: error.message, next: known.next };
}

/** Every code with specific advice (for tests and documentation). */
export const KNOWN_CODES: readonly string[] = Object.keys(TABLE);

/** What a `host_key_changed` message says: the host, the key presented, the keys on record. */
export interface ChangedKey {
  host: string | null;
  presented: string | null;
  expected: string[];
}

/**
 * Reads the host and fingerprints from the engine's `host_key_changed` message ("the host key
 * of HOST has CHANGED: the server presents SHA256:…, but the key on record is SHA256:… or …").
 */
export function parseChangedKey(message: string): ChangedKey {
  const host = /host key of (.+?) has CHANGED/.exec(message)?.[1] ?? null;
  const presentedMatch = /presents\s+(SHA256:[A-Za-z0-9+/=]+)/.exec(message);
  const presented = presentedMatch?.[1] ?? null;
  const recordPart = /on record is (.*?)(?:\.\s|\.$|$)/.exec(message)?.[1] ?? "";
  let expected: string[] = [...(recordPart.match(/SHA256:[A-Za-z0-9+/=]+/g) ?? [])];
  if (expected.length === 0) {
    expected = (message.match(/SHA256:[A-Za-z0-9+/=]+/g) ?? []).filter((f) => f !== presented);
  }
  return { host, presented, expected };
}

/** The command that removes the old key, when the host is known. */
export function removeKeyCommand(host: string | null): string | null {
  return host === null ? null : `ssh-keygen -R '${host}'`;
}
