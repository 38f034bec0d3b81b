/** An API error (or a job's) shown where it happened: the envelope's message, with its code. */
export function ErrorNote({ error }: { error: { code: string; message: string } | null | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      <span className="error-code">{error.code}</span> {error.message}
    </p>
  );
}
