// The MCP policy (`policy.json`, see docs/mcp.md) as the settings dialog edits it: the file's shape
// (mirroring src-tauri/src/mcp/policy.rs) and the conversions between it and the form's text fields
// (one host, pattern or tool a line).

/** One host's rules (or every host's, under `*`). */
export interface HostRules {
  read_only?: boolean;
  allow_commands?: string[];
  deny_commands?: string[];
  disabled_tools?: string[];
}

/** What the MCP server's `policy` tool may change at run time. */
export type RuntimeChanges = "none" | "tighten" | "any";

/** The policy file. */
export interface PolicyFile {
  allowed_hosts?: string[] | null;
  hosts?: Record<string, HostRules>;
  disabled_tools?: string[];
  runtime_changes?: RuntimeChanges;
}

/** Why a policy was not saved or cannot be read. */
export interface PolicyProblem {
  rule: string | null;
  message: string;
}

/** The policy file as read. */
export interface PolicyShown {
  policy: PolicyFile;
  path: string;
  problem: PolicyProblem | null;
}

/** One host's rules in the form: a flag and three lists, one item a line. */
export interface HostForm {
  name: string;
  read_only: boolean;
  allow: string;
  deny: string;
  tools: string;
}

/** The whole form. `allowed` empty means every host. */
export interface PolicyForm {
  allowed: string;
  tools: string;
  runtime: RuntimeChanges;
  hosts: HostForm[];
}

/** The non-blank lines of `text`, trimmed. */
export function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

const joined = (items: readonly string[] | null | undefined): string => (items ?? []).join("\n");

/** The form showing `policy`, hosts in name order with `*` first. */
export function toForm(policy: PolicyFile): PolicyForm {
  const names = Object.keys(policy.hosts ?? {}).sort((a, b) => (a === "*" ? -1 : b === "*" ? 1 : a.localeCompare(b)));
  return {
    allowed: joined(policy.allowed_hosts),
    tools: joined(policy.disabled_tools),
    runtime: policy.runtime_changes ?? "tighten",
    hosts: names.map((name) => {
      const r = policy.hosts?.[name] ?? {};
      return { name, read_only: r.read_only ?? false, allow: joined(r.allow_commands), deny: joined(r.deny_commands), tools: joined(r.disabled_tools) };
    }),
  };
}

/** The policy the form says; a host entry without any rule is left out. */
export function fromForm(form: PolicyForm): PolicyFile {
  const hosts: Record<string, HostRules> = {};
  for (const h of form.hosts) {
    const rules: HostRules = {};
    if (h.read_only) rules.read_only = true;
    const allow = lines(h.allow);
    const deny = lines(h.deny);
    const tools = lines(h.tools);
    if (allow.length > 0) rules.allow_commands = allow;
    if (deny.length > 0) rules.deny_commands = deny;
    if (tools.length > 0) rules.disabled_tools = tools;
    if (Object.keys(rules).length > 0) hosts[h.name] = rules;
  }
  const allowed = lines(form.allowed);
  return {
    allowed_hosts: allowed.length > 0 ? allowed : null,
    hosts,
    disabled_tools: lines(form.tools),
    runtime_changes: form.runtime,
  };
}

/** The form with an empty entry for host `name` added (unchanged when it has one or the name is blank). */
export function withHost(form: PolicyForm, name: string): PolicyForm {
  const n = name.trim();
  if (n === "" || form.hosts.some((h) => h.name === n)) return form;
  return { ...form, hosts: [...form.hosts, { name: n, read_only: false, allow: "", deny: "", tools: "" }] };
}
