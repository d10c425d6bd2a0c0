import { describe, expect, it } from "vitest";
import { keyboardInteractiveText, localSecretTitle, otherTypesWarning, type SecretRequest } from "./promptText";

const kbd = (over: Partial<SecretRequest>): SecretRequest => ({
  kind: "secret",
  id: 1,
  host: "jump",
  user: "me",
  secret: "keyboard_interactive",
  echo: false,
  ...over,
});

describe("keyboard-interactive dialog text", () => {
  it("has a fixed title naming the asker, never the server's name", () => {
    const t = keyboardInteractiveText(
      kbd({ name: "Key passphrase", instructions: "Enter your key passphrase", prompt: "Passphrase: " }),
    );
    expect(t.title).toBe("me@jump asks:");
    expect(t.title).not.toContain("passphrase");
    expect(t.quoted).toEqual(["Key passphrase", "Enter your key passphrase", "Passphrase:"]);
    expect(t.label).toBe("Your answer (hidden)");
  });

  it("differs from Outpost's own passphrase dialog", () => {
    const fake = keyboardInteractiveText(kbd({ name: "Key passphrase" }));
    const own = localSecretTitle(kbd({ secret: "passphrase", key_path: "/k" }));
    expect(own).toBe("Key passphrase");
    expect(fake.title).not.toBe(own);
  });

  it("leaves out empty parts and says when the answer is shown", () => {
    const t = keyboardInteractiveText(kbd({ name: "", instructions: " ", prompt: "Code: ", echo: true }));
    expect(t.quoted).toEqual(["Code:"]);
    expect(t.label).toBe("Your answer (shown as typed)");
  });

  it("keeps the server's text as the backend made it visible", () => {
    const t = keyboardInteractiveText(kbd({ instructions: "x\\033]0;owned\\007\nline two" }));
    expect(t.quoted).toEqual(["x\\033]0;owned\\007\nline two"]);
    expect(t.quoted.join("")).not.toContain("\u001b");
  });
});

describe("other key types warning", () => {
  it("names the presented type and the types on record", () => {
    const w = otherTypesWarning({
      kind: "host_key_other_types",
      id: 2,
      host: "10.0.0.1",
      port: 2222,
      key_type: "ssh-ed25519",
      fingerprint: "SHA256:new",
      known: [
        { key_type: "ecdsa-sha2-nistp256", fingerprint: "SHA256:a" },
        { key_type: "ecdsa-sha2-nistp256", fingerprint: "SHA256:b" },
      ],
      certificate: null,
    });
    expect(w).toContain("10.0.0.1 (port 2222) presented a ssh-ed25519 key");
    expect(w).toContain("(ecdsa-sha2-nistp256)");
    expect(w).toContain("man-in-the-middle");
  });
});
