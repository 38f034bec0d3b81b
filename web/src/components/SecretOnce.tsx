import type { ReactNode } from 'react';
import { CopyButton } from './CopyButton';

/** What the secret is, for its label, copy button and warning. */
export interface SecretKind {
  /** The section's accessible name. */
  label: string;
  copy: string;
  warning: ReactNode;
  testId: string;
}

export const API_KEY_SECRET: SecretKind = {
  label: 'New API key',
  copy: 'Copy key',
  warning: (
    <>
      <strong>Copy this key now.</strong> It is shown only once: Vectra stores only its hash and cannot show it again.
    </>
  ),
  testId: 'new-key',
};

/** A new secret (an API key by default): shown only this once, with a copy button and the warning that goes with it. */
export function SecretOnce({ secret, kind = API_KEY_SECRET, children }: { secret: string; kind?: SecretKind; children?: ReactNode }) {
  return (
    <section className="secret" aria-label={kind.label}>
      <p className="warning">{kind.warning}</p>
      <code className="secret-value" data-testid={kind.testId}>
        {secret}
      </code>
      <div className="row">
        <CopyButton text={secret} label={kind.copy} />
      </div>
      {children}
    </section>
  );
}
