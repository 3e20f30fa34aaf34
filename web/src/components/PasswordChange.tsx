// Change one's own password (POST /auth/password): every other session ends, this one goes on
// with the fresh token the answer carries.

import { useState, type FormEvent } from 'react';
import { session } from '../api';
import { accounts } from '../api/tenancy';
import { useAction } from '../notify';

export function PasswordChange() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const { run, busy } = useAction();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const answer = await run('Change the password', () => accounts.changePassword(current, next), 'Password changed; your other sessions ended');
    if (answer?.access_token) session.set(answer.access_token, answer.expires_in);
    if (answer) {
      setCurrent('');
      setNext('');
    }
  }
  return (
    <form className="row" onSubmit={submit} data-testid="password-form">
      <label className="field"><span className="field-label">Current password</span>
        <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} data-testid="password-current" /></label>
      <label className="field"><span className="field-label">New password</span>
        <input type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} data-testid="password-new" /></label>
      <button type="submit" className="btn" disabled={busy} data-testid="password-submit">Change password</button>
    </form>
  );
}
