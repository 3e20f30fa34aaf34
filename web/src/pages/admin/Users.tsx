// The tenant's users (SUPERADMIN): list, invite (the invitation link shown once), change role,
// deactivate, and a one-time password reset link.

import { useState, type FormEvent } from 'react';
import { users, USER_ROLES, type User } from '../../api/tenancy';
import { useAuth } from '../../auth';
import { absolute, OnceLink } from '../../components/OnceLink';
import { Badge, Empty, LoadError, Loading, PageHeader, Panel } from '../../components/ui';
import { dateTime } from '../../format';
import { useLoad } from '../../lib/hooks';
import { portalPath } from '../../lib/leave';
import { useAction } from '../../notify';

/** Where an invited person sets their password: customers in their portal, the team in /app. */
export function invitationUrl(role: string, token: string, slug?: string | null): string {
  const q = `?token=${encodeURIComponent(token)}`;
  return absolute(role === 'CUSTOMER' ? portalPath(slug, `/accept${q}`) : `/app/accept-invitation${q}`);
}

export default function Users() {
  const { me } = useAuth();
  const list = useLoad(() => users.list(), []);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('USER');
  const [link, setLink] = useState<{ url: string; what: string } | null>(null);
  const { run, busy } = useAction();

  async function invite(e: FormEvent) {
    e.preventDefault();
    const made = await run('Invite', () => users.invite({ email: email.trim(), name: name.trim(), role }), (u) => `Invited ${u.email}`);
    if (made) {
      if (made.invitation_token) setLink({ url: invitationUrl(made.role, made.invitation_token, me?.tenant_slug), what: `Invitation link for ${made.email}` });
      setEmail('');
      setName('');
      await list.reload();
    }
  }
  async function change(u: User, patch: { role?: string; active?: boolean }) {
    const done = await run(`Change ${u.email}`, () => users.update(u.id, patch), 'Saved');
    if (done) await list.reload();
  }
  async function deactivate(u: User) {
    // PATCH active=false (reversible; DELETE removes the user for good)
    const done = await run(`Deactivate ${u.email}`, () => users.update(u.id, { active: false }), `${u.email} deactivated`);
    if (done) await list.reload();
  }
  async function reset(u: User) {
    const answer = await run(`Reset the password of ${u.email}`, () => users.resetPassword(u.id));
    const token = answer?.token ?? answer?.reset_token;
    if (token) {
      const q = `?token=${encodeURIComponent(token)}`;
      const path = u.role === 'CUSTOMER' ? portalPath(me?.tenant_slug, `/accept${q}`) : `/app/reset-password${q}`;
      setLink({ url: absolute(path), what: `Password reset link for ${u.email}` });
    }
  }

  return (
    <div data-testid="page-users">
      <PageHeader title="Users" subtitle="The people of your tenant and your customers' accounts." />
      {link && <OnceLink url={link.url} what={link.what} onClose={() => setLink(null)} />}
      <Panel title="Invite someone">
        <form className="row" onSubmit={invite} data-testid="invite-form">
          <label className="field"><span className="field-label">Email</span><input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="invite-email" /></label>
          <label className="field"><span className="field-label">Name</span><input required value={name} onChange={(e) => setName(e.target.value)} data-testid="invite-name" /></label>
          <label className="field"><span className="field-label">Role</span>
            <select value={role} onChange={(e) => setRole(e.target.value)} data-testid="invite-role">{USER_ROLES.map((r) => <option key={r}>{r}</option>)}</select>
          </label>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="invite-submit">Invite</button>
        </form>
      </Panel>
      <Panel title="Users">
        <LoadError error={list.error} what="the users" />
        {list.loading && !list.data ? (
          <Loading />
        ) : !list.data?.length ? (
          <Empty>No users.</Empty>
        ) : (
          <table className="table" data-testid="users-table">
            <thead><tr><th>Email</th><th>Name</th><th>Role</th><th>State</th><th>Since</th><th /></tr></thead>
            <tbody>
              {list.data.map((u) => {
                const self = u.id === me?.user_id;
                return (
                  <tr key={u.id} data-testid="user-row" data-email={u.email} data-role={u.role} data-active={String(u.active)} data-invited={String(u.invited)}>
                    <td>{u.email}</td>
                    <td>{u.name}</td>
                    <td>
                      {USER_ROLES.includes(u.role as never) && !self ? (
                        <select value={u.role} disabled={busy} onChange={(e) => void change(u, { role: e.target.value })} aria-label={`Role of ${u.email}`} data-testid="user-role">
                          {USER_ROLES.map((r) => <option key={r}>{r}</option>)}
                        </select>
                      ) : (
                        u.role
                      )}
                    </td>
                    <td>{!u.active ? <Badge value="INACTIVE" label="Deactivated" /> : u.invited ? <Badge value="PAUSED" label="Invited" /> : <Badge value="ACTIVE" label="Active" />}</td>
                    <td>{dateTime(u.created_at)}</td>
                    <td className="row">
                      {!self && <button type="button" className="btn btn-small" disabled={busy} onClick={() => void reset(u)} data-testid="user-reset">Reset password</button>}
                      {!self && u.active && <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => void deactivate(u)} data-testid="user-deactivate">Deactivate</button>}
                      {!self && !u.active && <button type="button" className="btn btn-small" disabled={busy} onClick={() => void change(u, { active: true })} data-testid="user-reactivate">Reactivate</button>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Panel>
    </div>
  );
}
