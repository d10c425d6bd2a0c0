// Tests for what the host-key dialogs and error boxes say about host certificates, from the typed
// details the engine sends (never from its message).
import { describe, expect, it } from "vitest";
import type { CertificateInfo } from "../api/generated/types";
import { adviceFor, certificateFacts, certificateOf, certificateProblemText, KNOWN_CODES } from "./advice";

const cert: CertificateInfo = {
  key_id: "web-1 host",
  serial: 7,
  principals: ["web-1.example", "10.0.0.1"],
  ca_key_type: "ssh-ed25519",
  ca_fingerprint: "SHA256:caFP",
  valid_after: 1_700_000_000,
  valid_before: 1_700_086_400,
};

const presented = {
  host: "web-1.example",
  port: 22,
  known_hosts_name: "web-1.example",
  key_type: "ssh-ed25519",
  fingerprint: "SHA256:hostFP",
  certificate: cert,
};

describe("host certificate facts", () => {
  it("lists the CA, the principals, the window and the id", () => {
    const rows = Object.fromEntries(certificateFacts(cert, 1_700_000_100));
    expect(rows["Signed by CA"]).toBe("ssh-ed25519 SHA256:caFP");
    expect(rows["Valid for"]).toBe("web-1.example, 10.0.0.1");
    expect(rows["Valid"]).toBe("2023-11-14T22:13:20Z – 2023-11-15T22:13:20Z");
    expect(rows["Certificate"]).toBe("web-1 host (serial 7)");
  });
  it("marks an expired or future window and says forever and any name", () => {
    expect(Object.fromEntries(certificateFacts(cert, 1_700_086_400))["Valid"]).toMatch(/\(expired\)$/);
    expect(Object.fromEntries(certificateFacts(cert, 1))["Valid"]).toMatch(/\(not yet valid\)$/);
    const open = Object.fromEntries(certificateFacts({ ...cert, principals: [], valid_after: 0, valid_before: null }, 5));
    expect(open["Valid"]).toBe("always – forever");
    expect(open["Valid for"]).toBe("any host name");
  });
});

describe("refused host certificates", () => {
  const refused = (problem: Parameters<typeof certificateProblemText>[0], code: string) => ({
    code,
    message: "the engine's words",
    details: { kind: "host_certificate" as const, ...presented, problem },
  });
  it("advise by the problem, and every code has advice without details too", () => {
    const expired = adviceFor(refused({ reason: "expired", valid_before: 1, now: 2 }, "host_certificate_expired"));
    expect(expired.title).toMatch(/expired/);
    expect(expired.message).toBe("the engine's words");
    const forged = adviceFor(refused({ reason: "bad_signature" }, "host_certificate_invalid"));
    expect(forged.title).toMatch(/forged/);
    for (const code of [
      "host_certificate_revoked",
      "host_certificate_unknown_ca",
      "host_certificate_expired",
      "host_certificate_not_yet_valid",
      "host_certificate_wrong_principal",
      "host_certificate_invalid",
    ]) {
      expect(KNOWN_CODES).toContain(code);
    }
  });
  it("say which key is revoked, which names are listed and which CAs are trusted", () => {
    expect(certificateProblemText({ reason: "revoked", revoked_fingerprint: "SHA256:x", ca: true })).toMatch(/CA key .*SHA256:x/);
    expect(certificateProblemText({ reason: "revoked", revoked_fingerprint: "SHA256:y", ca: false })).toMatch(/host key .*SHA256:y/);
    expect(
      certificateProblemText({ reason: "wrong_principal", name: "db", principals: ["web-1.example", "10.0.0.1"] }),
    ).toBe("It is not valid for db; it names web-1.example, 10.0.0.1.");
    expect(certificateProblemText({ reason: "unknown_ca", trusted_cas: ["SHA256:a"] })).toMatch(/SHA256:a/);
  });
  it("finds the certificate in every host-key error and nowhere else", () => {
    expect(certificateOf(refused({ reason: "bad_signature" }, "host_certificate_invalid"))).toEqual(cert);
    expect(
      certificateOf({
        code: "host_key_changed",
        message: "m",
        details: { kind: "host_key_changed", ...presented, expected_fingerprints: ["SHA256:old"] },
      }),
    ).toEqual(cert);
    expect(
      certificateOf({ code: "host_key_rejected", message: "m", details: { kind: "host_key_rejected", ...presented, certificate: null } }),
    ).toBeNull();
    expect(certificateOf({ code: "auth_failed", message: "SHA256:caFP", details: null })).toBeNull();
  });
});
