// The key badge beside a host's name in the sidebar when connecting to it forwards the user's
// ssh-agent: a saved host with forwarding on, or a ~/.ssh/config alias whose `ForwardAgent`
// resolves to yes (or a socket); and the host's name with it, cut so that the badge stays in
// view. Styled in styles/forwarding.css.
import type { ComponentChildren, JSX } from "preact";
import { Icon } from "../icons";

/** The badge for the host or alias `name`. */
export function ForwardBadge({ name }: { name: string }): JSX.Element {
  return (
    <span
      class="forward-agent-badge"
      data-testid={`host-forward-agent-${name}`}
      title="Forwards your ssh-agent: its sessions can use your keys (so can root there while you are connected)"
      aria-label="Forwards your ssh-agent"
    >
      <Icon name="key" />
    </span>
  );
}

/** A host's name in its sidebar row, with the badge when it forwards the agent. */
export function HostName({ name, forwards, children }: { name: string; forwards: boolean; children: ComponentChildren }): JSX.Element {
  return (
    <span class="host-name with-badge">
      <span class="host-name-text">{children}</span>
      {forwards ? <ForwardBadge name={name} /> : null}
    </span>
  );
}
