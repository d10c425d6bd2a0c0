// What the forwards panel's two add forms share (the window's forwards and the agent-owned
// ones): the form's state with a message per wrong field, checked before anything is sent; a
// text field showing its message; and the form itself with its submit button. Test ids are
// `${prefix}-${field}` for a field and `${prefix}-problem-${field}` for its message.
import type { ComponentChildren, JSX } from "preact";
import { useState } from "preact/hooks";

/** A message per wrong field. */
export type Problems<K extends string> = Partial<Record<K, string>>;

/** What a form's check returns: the value to send, or a message per wrong field. */
export type Checked<T, K extends string> = { ok: T } | { problems: Problems<K> };

/**
 * A form's typed state and its problems, for the form whose test ids start with `prefix`.
 * `submit` checks it and sends the checked value; `field` is one of its text fields.
 */
export function useCheckedForm<F extends Record<K, string>, K extends string, T>(prefix: string, empty: F, check: (form: F) => Checked<T, K>) {
  const [form, setForm] = useState<F>(empty);
  const [problems, setProblems] = useState<Problems<K>>({});
  /** Checks the form; when it is right, hands the checked value to `send` (else shows why not). */
  const submit = (send: (ok: T) => void) => {
    const r = check(form);
    if ("problems" in r) {
      setProblems(r.problems);
      return;
    }
    setProblems({});
    send(r.ok);
  };
  const field = (k: K, label: string, placeholder: string) => (
    <ForwardField
      prefix={prefix}
      name={k}
      label={label}
      placeholder={placeholder}
      value={form[k]}
      problem={problems[k]}
      onInput={(v) => setForm({ ...form, [k]: v })}
    />
  );
  return { form, setForm, problems, submit, field };
}

/** One text field: its label, the input, and its problem when there is one. */
export function ForwardField(props: {
  prefix: string;
  name: string;
  label: string;
  placeholder: string;
  value: string;
  problem: string | undefined;
  onInput: (value: string) => void;
}): JSX.Element {
  const { prefix, name, problem } = props;
  return (
    <label class={`forward-field ${problem ? "invalid" : ""}`}>
      {props.label}
      <input
        data-testid={`${prefix}-${name}`}
        value={props.value}
        placeholder={props.placeholder}
        aria-invalid={problem ? true : undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {problem ? (
        <span class="field-error" data-testid={`${prefix}-problem-${name}`}>
          {problem}
        </span>
      ) : null}
    </label>
  );
}

/** An add form (`${prefix}-form`) and its submit button (`${prefix}-add`), "Working…" while busy. */
export function AddForm(props: { prefix: string; busy: boolean; label: string; onSubmit: () => void; children: ComponentChildren }): JSX.Element {
  return (
    <form
      class="forward-form"
      data-testid={`${props.prefix}-form`}
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      {props.children}
      <div class="modal-actions">
        <button type="submit" data-testid={`${props.prefix}-add`} disabled={props.busy}>
          {props.busy ? "Working…" : props.label}
        </button>
      </div>
    </form>
  );
}
