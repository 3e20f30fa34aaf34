// Accept an invitation (or a password reset): the one-time token from the link, a new password
// (POST /auth/accept-invitation or /auth/reset-password), then sign in.

import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { toApiError, type ApiError } from '../api';
import { accounts } from '../api/tenancy';

export function SetPasswordForm({ token, reset, signIn, title }: { token: string; reset?: boolean; signIn: ReactNode; title?: ReactNode }) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const mismatch = again.length > 0 && password !== again;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (mismatch) return;
    setBusy(true);
    setError(null);
    try {
      await (reset ? accounts.resetPassword(token, password) : accounts.acceptInvitation(token, password));
      setDone(true);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <div className="login-card" data-testid="accept-done">
        <h2>Your password is set</h2>
        <p>{signIn}</p>
      </div>
    );
  }
  return (
    <form className="login-card" onSubmit={submit} data-testid="accept-form" aria-label="Set your password">
      <h2>{title ?? (reset ? 'Choose a new password' : 'Welcome: choose your password')}</h2>
      {!token && <div className="load-error" data-testid="accept-no-token">This link has no token: open the link from your email again.</div>}
      {error && (
        <div className="banner banner-error" role="alert" data-testid="error-banner" data-code={error.code}>
          <div className="banner-body">
            <span data-testid="error-message">{error.message}</span>{' '}
            <code className="banner-code" data-testid="error-code">{error.code}{error.status ? ` · HTTP ${error.status}` : ''}</code>
            {error.problems.length > 0 && <ul className="banner-problems">{error.problems.map((p, i) => <li key={i}>{p}</li>)}</ul>}
          </div>
        </div>
      )}
      <label className="field">
        <span className="field-label">New password</span>
        <input type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} data-testid="accept-password" />
      </label>
      <label className="field">
        <span className="field-label">The same again</span>
        <input type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} data-testid="accept-password-again" />
        {mismatch && <span className="problem" data-testid="accept-mismatch">The two passwords differ</span>}
      </label>
      <button type="submit" className="btn btn-primary btn-block" disabled={busy || !token || mismatch} data-testid="accept-submit">
        {busy ? 'Saving…' : 'Set password'}
      </button>
    </form>
  );
}

export default function AcceptInvitation({ reset }: { reset?: boolean }) {
  const [params] = useSearchParams();
  return (
    <div className="login-page" data-testid="page-accept-invitation">
      <SetPasswordForm token={params.get('token') ?? ''} reset={reset} signIn={<Link to="/login" data-testid="accept-sign-in">Sign in</Link>} />
    </div>
  );
}
