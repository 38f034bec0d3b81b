import { CopyButton } from './CopyButton';

/** A new API key: shown only this once, with a copy button and the warning that goes with it. */
export function SecretOnce({ secret, children }: { secret: string; children?: React.ReactNode }) {
  return (
    <section className="secret" aria-label="New API key">
      <p className="warning">
        <strong>Copy this key now.</strong> It is shown only once: Vectra stores only its hash and cannot show it again.
      </p>
      <code className="secret-value" data-testid="new-key">
        {secret}
      </code>
      <div className="row">
        <CopyButton text={secret} label="Copy key" />
      </div>
      {children}
    </section>
  );
}
