// A one-time link (invitation, password reset) shown once, right after the API made its token:
// the token is not stored anywhere, so it cannot be shown again.

export function OnceLink({ url, what, onClose }: { url: string; what: string; onClose: () => void }) {
  return (
    <div className="panel" data-testid="once-link" data-url={url}>
      <div className="panel-body">
        <strong>{what}</strong> — copy it now, it is shown only once:
        <code className="once-link" data-testid="once-link-url">{url}</code>
        <div className="row">
          <button type="button" className="btn btn-small" onClick={() => void navigator.clipboard?.writeText(url)} data-testid="once-link-copy">Copy</button>
          <button type="button" className="btn btn-small" onClick={onClose} data-testid="once-link-close">Done</button>
        </div>
      </div>
    </div>
  );
}

/** The page's own address of a link path (same origin). */
export function absolute(path: string): string {
  return typeof window === 'undefined' ? path : `${window.location.origin}${path}`;
}
