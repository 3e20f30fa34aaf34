// Sign in: POST /auth/login, then /auth/me for the role.

import { useState, type FormEvent } from 'react';
import { toApiError, type ApiError } from '../api';
import type { Branding } from '../api/types-tenancy';
import { safeLogo } from '../lib/tenantLook';

export function LoginForm({ onLogin, notice, brand, subtitle }: {
  onLogin: (email: string, password: string) => Promise<void>;
  notice?: string | null;
  /** the tenant's branding (GET /branding/{slug}): its shop name and logo instead of Cirrus OMS */
  brand?: Branding | null;
  subtitle?: string;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onLogin(email.trim(), password);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="login-card" onSubmit={submit} data-testid="login-form" aria-label="Sign in">
      <div className="brand brand-large" data-testid="login-brand" data-shop-name={brand?.shop_name ?? ''}>
        {safeLogo(brand?.logo_url) ? (
          <img className="brand-logo" src={safeLogo(brand?.logo_url) ?? undefined} alt="" />
        ) : (
          <span className="brand-mark" aria-hidden="true">☁</span>
        )}
        {brand?.shop_name ? (
          <span>{brand.shop_name}</span>
        ) : (
          <span>
            Cirrus <strong>OMS</strong>
          </span>
        )}
      </div>
      <p className="muted">{subtitle ?? 'Operations dashboard'}</p>
      {notice && !error && (
        <div className="load-error" role="status" data-testid="session-ended">
          Your session ended: {notice}. Sign in again.
        </div>
      )}
      {error && (
        <div className="banner banner-error" role="alert" data-testid="error-banner" data-code={error.code}>
          <div className="banner-body">
            <span data-testid="error-message">{error.message}</span>{' '}
            <code className="banner-code" data-testid="error-code">
              {error.code}
              {error.status ? ` · HTTP ${error.status}` : ''}
            </code>
            {error.problems.length > 0 && (
              <ul className="banner-problems">
                {error.problems.map((p, i) => (
                  <li key={i}>{p}</li>
                ))}
              </ul>
            )}
          </div>
        </div>
      )}
      <label className="field">
        <span className="field-label">Email</span>
        <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="login-email" />
      </label>
      <label className="field">
        <span className="field-label">Password</span>
        <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} data-testid="login-password" />
      </label>
      <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="login-submit">
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
