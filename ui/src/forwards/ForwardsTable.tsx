// The table both parts of the forwards panel list their rows in (the window's forwards and the
// agent-owned ones), or the line that says there are none. Test ids: `${prefix}-list` for the
// table, `${prefix}-empty` for that line.
import type { ComponentChildren, JSX } from "preact";

/** The rows (`children`) under a heading per column (the last one blank), or `empty` when there are none. */
export function ForwardsTable(props: { prefix: string; heads: string[]; count: number; empty: ComponentChildren; children: ComponentChildren }): JSX.Element {
  if (props.count === 0) {
    return (
      <p class="muted" data-testid={`${props.prefix}-empty`}>
        {props.empty}
      </p>
    );
  }
  return (
    <table class="forwards-table" data-testid={`${props.prefix}-list`}>
      <thead>
        <tr>
          {props.heads.map((h) => (
            <th key={h}>{h}</th>
          ))}
          <th />
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}
