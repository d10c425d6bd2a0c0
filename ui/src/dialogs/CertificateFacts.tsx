// The facts of a host certificate beside a host key's fingerprint, in the host-key dialogs: the
// CA that signed it (type and fingerprint), the names it is valid for, its validity window and
// its id. Nothing when the host presented a plain key.
import { Fragment, type JSX } from "preact";
import type { CertificateInfo } from "../api/generated/types";
import { certificateFacts } from "./advice";

/** A "Host certificate" heading and its facts, or nothing for `null`. */
export function CertificateFacts({ certificate }: { certificate: CertificateInfo | null }): JSX.Element | null {
  if (certificate === null) return null;
  const rows = certificateFacts(certificate, Date.now() / 1000);
  return (
    <>
      <p class="modal-text">
        The key came in a <strong>host certificate</strong>; no certificate authority trusted for this host signed it, so
        only its key is checked.
      </p>
      <dl class="facts" data-testid="hostkey-certificate">
        {rows.map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd class="mono" data-testid={`hostkey-certificate-${label.toLowerCase().replace(/ /g, "-")}`}>
              {value}
            </dd>
          </Fragment>
        ))}
      </dl>
    </>
  );
}
