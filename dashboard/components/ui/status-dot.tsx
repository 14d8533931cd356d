/** A colored dot plus the word: color is never the only signal. */
export function StatusDot({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`status status-${status}`}>
      <span className="status-dot" aria-hidden="true" />
      {label ?? status.charAt(0).toUpperCase() + status.slice(1)}
    </span>
  );
}
