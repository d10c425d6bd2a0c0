// Error codes → plain words: a short title and what to do next. The engine's message is always
// shown as well (it names the host and the cause); unknown codes get the message alone.
import type { CertificateInfo, CertificateProblem } from "../api/generated/types";
import type { ApiError, ChangedKey, DeployError } from "../api/types";

/** What an error box shows. */
export interface Advice {
  /** A short headline. */
  title: string;
  /** The engine's own explanation. */
  message: string;
  /** What the user can do next; null when there is nothing specific to say. */
  next: string | null;
}

/** Refused host certificates by problem (the `problem.reason` of a `host_certificate` error's
 * details); typed by the generated union, so a new problem on the Rust side fails the build until
 * it has advice. */
const CERTIFICATE: Record<CertificateProblem["reason"], { title: string; next: string }> = {
  revoked: {
    title: "The host's certificate is revoked",
    next: "A known_hosts file marks its host key or the CA that signed it as @revoked. Do not connect; ask the host's administrator.",
  },
  unknown_ca: {
    title: "The host's certificate is signed by an untrusted CA",
    next: "Your known_hosts trusts another certificate authority for this host (@cert-authority). Compare the CA fingerprint with the one your administrator publishes; do not connect if it differs.",
  },
  expired: {
    title: "The host's certificate has expired",
    next: "Ask the host's administrator to renew the host certificate. If the certificate looks new, check this computer's clock.",
  },
  not_yet_valid: {
    title: "The host's certificate is not valid yet",
    next: "Check this computer's clock (and the host's); the certificate starts later.",
  },
  wrong_principal: {
    title: "The host's certificate is for another name",
    next: "Connect with a name the certificate lists (shown below), or ask the administrator to add this name to the host certificate.",
  },
  bad_signature: {
    title: "The host's certificate is forged or damaged",
    next: "Its CA signature does not verify. Do not connect; ask the host's administrator.",
  },
  not_host_certificate: {
    title: "The host presented a user certificate",
    next: "The server is misconfigured (its HostCertificate is a user certificate). Ask the host's administrator.",
  },
  critical_option: {
    title: "The host's certificate has an unsupported option",
    next: "Host certificates carry no critical options; ask the host's administrator to re-issue it.",
  },
};

const TABLE: Record<string, { title: string; next: string }> = {
  host_certificate_revoked: CERTIFICATE.revoked,
  host_certificate_unknown_ca: CERTIFICATE.unknown_ca,
  host_certificate_expired: CERTIFICATE.expired,
  host_certificate_not_yet_valid: CERTIFICATE.not_yet_valid,
  host_certificate_wrong_principal: CERTIFICATE.wrong_principal,
  host_certificate_invalid: {
    title: "The host's certificate is not valid",
    next: "Do not connect; ask the host's administrator to re-issue the host certificate.",
  },
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
  connection_refused: {
    title: "Nothing is listening on that port",
    next: "The host answered but refused the connection: check the port (SSH usually uses 22) and that the SSH server is running on the host.",
  },
  name_not_resolved: {
    title: "The host name does not resolve",
    next: "Check the spelling of the host name. An internal name may need your VPN; otherwise use its IP address or an alias from ~/.ssh/config.",
  },
  unreachable: {
    title: "That address cannot be reached",
    next: "Your computer (or, for a forward, the jump host) has no way to it: no route, a refused port or an unknown name. Check the address and port, that the service runs, your network, VPN and jump hosts, then try again.",
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

/** File operations (the engine's transfer codes); the message names the path, so the advice
 * only says what to do. */
const FILES: Record<string, { title: string; next: string }> = {
  not_found: {
    title: "No such file or folder",
    next: "It may have been moved, renamed or deleted. Refresh the list and check the path.",
  },
  permission_denied: {
    title: "Permission denied",
    next: "Your user on that host may not read or write this path. Check its owner and mode (ls -l), or choose a folder you own.",
  },
  no_space: {
    title: "The disk is full",
    next: "Free some space on the receiving side, or choose a folder on another disk, then copy again.",
  },
  exists: {
    title: "That name is already taken",
    next: "Choose another name, or rename or delete the existing one first.",
  },
  not_empty: {
    title: "The folder is not empty",
    next: "Delete what is inside it first, or delete the folder together with its contents.",
  },
  is_a_directory: {
    title: "That is a folder, not a file",
    next: "Pick a file, or open the folder to see what is inside it.",
  },
  not_a_directory: {
    title: "That is a file, not a folder",
    next: "A part of the path is a file. Check the path, or choose a folder as the destination.",
  },
  checksum_mismatch: {
    title: "The copy does not match the original",
    next: "Its SHA-256 differs from the source's, so the copy was removed. Copy it again; if it keeps happening, check the disks and the network.",
  },
  unsupported: {
    title: "The server cannot do this",
    next: "It offers no SFTP for this and no fallback worked. Ask the host's administrator to enable the SFTP subsystem.",
  },
  transfer_failed: {
    title: "The file operation failed",
    next: "Read the reason above, then try again.",
  },
};

/** Port forwards (the engine's forward codes; `unreachable` is shared with connections). */
const FORWARDS: Record<string, { title: string; next: string }> = {
  port_in_use: {
    title: "That port is already in use",
    next: "Another program or forward listens on it. Choose another local port, or 0 to let the system pick a free one.",
  },
  forward_invalid: {
    title: "That forward is not valid",
    next: "Check the ports (1–65535) and addresses, for example local port 8080 to db:5432.",
  },
  forward_not_found: {
    title: "That forward is no longer there",
    next: "It was closed, or its session ended. List the host's agent-owned forwards (outpost forward list HOST --agent) and open it again if you need it.",
  },
  forward_bind: {
    title: "The forward cannot listen on that address",
    next: "The address may not belong to this computer, or the port may need administrator rights (below 1024). Choose another address, or a port above 1023.",
  },
};

/** Deployment failures by step (the `reason` of a `deploy` error's details); typed by the
 * generated union, so a new step on the Rust side fails the build until it has advice. */
const DEPLOY: Record<DeployError["reason"], { title: string; next: string }> = {
  probe_not_run: {
    title: "The host's shell did not run Outpost's check",
    next: "A login script may print text or start another program. Check your shell startup files (~/.bashrc, ~/.profile), then test the connection again.",
  },
  unknown_platform: {
    title: "The host's platform could not be read",
    next: "The host did not answer `uname -sm` as expected. Check its shell startup files, then test the connection again.",
  },
  unsupported_platform: {
    title: "The Outpost agent does not run on this host's system",
    next: "The agent runs on Linux hosts. Use a Linux host (or a Linux jump host) instead.",
  },
  read_binary: {
    title: "The agent binary on this computer could not be read",
    next: "Check that Outpost is installed completely and that its files are readable.",
  },
  create_dir: {
    title: "The agent could not be installed on the host",
    next: "Check free disk space and write access to your home directory on the host, then test the connection again.",
  },
  upload_failed: {
    title: "The agent could not be uploaded to the host",
    next: "Check free disk space and write access to your home directory on the host, then test the connection again.",
  },
  checksum_mismatch: {
    title: "The uploaded agent arrived corrupted",
    next: "Nothing was installed. Test the connection again; if it keeps happening, check the host's disk and the network.",
  },
  install_failed: {
    title: "The agent could not be installed on the host",
    next: "Check free disk space and write access to your home directory on the host, then test the connection again.",
  },
  wrong_version: {
    title: "The installed agent does not start properly",
    next: "The host may not be able to run the binary (missing libraries, noexec home). Check the message, then test the connection again.",
  },
};

/** A connection attempt that timed out, by what was under way (`stage` of its details). */
const CONNECT_TIMEOUT = {
  connecting: {
    title: "The host did not answer",
    next: "Nothing answered within the time limit: the host may be down, or a firewall may silently drop the connection. Check the address, your VPN and firewall rules, then try again.",
  },
  handshake: {
    title: "The SSH handshake did not finish in time",
    next: "The host accepted the connection but SSH stalled: the server may be overloaded, or something in between is not an SSH server. Try again, or raise the connect timeout.",
  },
};

/** Headline and advice for an error; unknown codes keep the message and give no advice. */
export function adviceFor(error: ApiError): Advice {
  if (error.details?.kind === "deploy") {
    const step = DEPLOY[error.details.reason];
    return { title: step.title, message: error.message, next: step.next };
  }
  if (error.details?.kind === "host_certificate") {
    const c = CERTIFICATE[error.details.problem.reason];
    return { title: c.title, message: error.message, next: c.next };
  }
  if (error.details?.kind === "connect_timeout") {
    const t = error.details.stage === "connecting" ? CONNECT_TIMEOUT.connecting : CONNECT_TIMEOUT.handshake;
    return { title: t.title, message: error.message, next: t.next };
  }
  const known = TABLE[error.code] ?? FILES[error.code] ?? FORWARDS[error.code];
  if (known === undefined) return { title: "Something went wrong", message: error.message, next: null };
  return { title: known.title, message: error.message, next: known.next };
}

/** Every code with specific advice (for tests and documentation). */
export const KNOWN_CODES: readonly string[] = [...Object.keys(TABLE), ...Object.keys(FILES), ...Object.keys(FORWARDS)];

/** An engine message as the error box shows it: a first word in lower-case letters gets a
 * capital; a message that starts with anything else (a path such as `h:/srv`, a `host:port`, a
 * name) is left exactly as written. */
export function messageText(message: string): string {
  const first = /^[a-z]+(?=[ ,]|$)/.exec(message);
  if (first === null) return message;
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** The facts of a `host_key_changed` error (null for any other error). */
export function changedKeyOf(error: ApiError): ChangedKey | null {
  return error.details?.kind === "host_key_changed" ? error.details : null;
}

/** The command that removes the old key of a host, named as known_hosts names it. */
export function removeKeyCommand(knownHostsName: string): string {
  return `ssh-keygen -R '${knownHostsName}'`;
}

/** The host certificate a host-key error's server presented (null when it presented a plain key,
 * or for any other error). */
export function certificateOf(error: ApiError): CertificateInfo | null {
  const d = error.details;
  switch (d?.kind) {
    case "host_key_changed":
    case "host_key_revoked":
    case "host_key_rejected":
    case "host_certificate":
      return d.certificate;
    default:
      return null;
  }
}

/** A certificate's facts as label/value rows, for the host-key dialogs. `now` (seconds since
 * 1970) marks an expired or not-yet-valid window. */
export function certificateFacts(c: CertificateInfo, now: number): [string, string][] {
  const when = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");
  const until = c.valid_before === null ? "forever" : when(c.valid_before);
  const from = c.valid_after === 0 ? "always" : when(c.valid_after);
  let validity = `${from} – ${until}`;
  if (c.valid_before !== null && now >= c.valid_before) validity += " (expired)";
  else if (now < c.valid_after) validity += " (not yet valid)";
  return [
    ["Signed by CA", `${c.ca_key_type} ${c.ca_fingerprint}`],
    ["Valid for", c.principals.length > 0 ? c.principals.join(", ") : "any host name"],
    ["Valid", validity],
    ["Certificate", `${c.key_id} (serial ${c.serial})`],
  ];
}

/** What a refused host certificate's problem says, from its typed fields. */
export function certificateProblemText(p: CertificateProblem): string {
  switch (p.reason) {
    case "revoked":
      return p.ca
        ? `The CA key that signed it (${p.revoked_fingerprint}) is marked @revoked.`
        : `Its host key (${p.revoked_fingerprint}) is marked @revoked.`;
    case "unknown_ca":
      return p.trusted_cas.length > 0
        ? `It is not signed by a CA trusted for this host (trusted: ${p.trusted_cas.join(", ")}).`
        : "No CA is trusted for this host.";
    case "expired":
      return "Its validity has ended.";
    case "not_yet_valid":
      return "Its validity has not started yet.";
    case "wrong_principal":
      return `It is not valid for ${p.name}; it names ${p.principals.join(", ")}.`;
    case "bad_signature":
      return "Its CA signature does not verify.";
    case "not_host_certificate":
      return "It is a user certificate, not a host certificate.";
    case "critical_option":
      return `It carries the unsupported critical option ${p.option}.`;
  }
}
