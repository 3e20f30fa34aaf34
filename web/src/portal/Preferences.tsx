// The customer's account: email preferences (GET/PUT /me/email-preferences: order emails on or
// off) and their password (POST /auth/password).

import { useEffect, useState } from 'react';
import { shop } from '../api/tenancy';
import { LoadError, Loading, Panel } from '../components/ui';
import { PasswordChange } from '../components/PasswordChange';
import { useLoad } from '../lib/hooks';
import { useAction } from '../notify';

export default function Preferences() {
  const prefs = useLoad(() => shop.preferences(), []);
  const [orderEmails, setOrderEmails] = useState(true);
  const { run, busy } = useAction();
  useEffect(() => {
    if (prefs.data) setOrderEmails(prefs.data.order_emails);
  }, [prefs.data]);
  async function save() {
    const saved = await run('Save email preferences', () => shop.savePreferences({ order_emails: orderEmails }), 'Preferences saved');
    if (saved) prefs.setData(saved);
  }
  return (
    <div data-testid="page-portal-preferences">
    <Panel title="Emails">
      <LoadError error={prefs.error} what="your preferences" />
      {prefs.loading && !prefs.data ? (
        <Loading />
      ) : (
        <div data-testid="email-preferences" data-order-emails={String(prefs.data?.order_emails ?? '')}>
          <label className="check">
            <input type="checkbox" checked={orderEmails} onChange={(e) => setOrderEmails(e.target.checked)} data-testid="pref-order-emails" />{' '}
            Email me about my orders (confirmation, shipped, delivered, cancelled)
          </label>
          <div className="row">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void save()} data-testid="pref-save">Save</button>
          </div>
        </div>
      )}
    </Panel>
    <Panel title="Password">
      <PasswordChange />
    </Panel>
    </div>
  );
}
