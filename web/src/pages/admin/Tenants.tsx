// Tenants (PLATFORM_OWNER): list, create (its first SUPERADMIN's invitation link shown once),
// suspend and reactivate.

import { useState, type FormEvent } from 'react';
import { tenants, type Tenant } from '../../api/tenancy';
import { absolute, OnceLink } from '../../components/OnceLink';
import { Badge, Empty, LoadError, Loading, PageHeader, Panel } from '../../components/ui';
import { dateTime } from '../../format';
import { useLoad } from '../../lib/hooks';
import { portalPath } from '../../lib/leave';
import { useAction } from '../../notify';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/;

export default function Tenants() {
  const list = useLoad(() => tenants.list(), []);
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [adminEmail, setAdminEmail] = useState('');
  const [link, setLink] = useState<{ url: string; what: string } | null>(null);
  const { run, busy } = useAction();
  const slugOk = SLUG.test(slug);

  async function create(e: FormEvent) {
    e.preventDefault();
    const made = await run('Create the tenant', () => tenants.create({ name: name.trim(), slug, admin_email: adminEmail.trim() }), (t) => `Tenant ${t.slug} created`);
    if (made) {
      if (made.invitation_token) {
        setLink({ url: absolute(`/app/accept-invitation?token=${encodeURIComponent(made.invitation_token)}`), what: `Invitation link for ${made.admin_email ?? adminEmail} (SUPERADMIN of ${made.slug})` });
      }
      setName('');
      setSlug('');
      setAdminEmail('');
      await list.reload();
    }
  }
  async function setStatus(t: Tenant, status: 'ACTIVE' | 'SUSPENDED') {
    const done = await run(`${status === 'SUSPENDED' ? 'Suspend' : 'Reactivate'} ${t.slug}`, () => tenants.update(t.id, { status }), `${t.slug} is ${status.toLowerCase()}`);
    if (done) await list.reload();
  }

  return (
    <div data-testid="page-tenants">
      <PageHeader title="Tenants" subtitle="Every shop on this platform. A suspended tenant's sign-ins and keys stop working within a minute." />
      {link && <OnceLink url={link.url} what={link.what} onClose={() => setLink(null)} />}
      <Panel title="New tenant">
        <form className="row" onSubmit={create} data-testid="tenant-form">
          <label className="field"><span className="field-label">Name</span><input required value={name} onChange={(e) => setName(e.target.value)} data-testid="tenant-name" /></label>
          <label className="field"><span className="field-label">Slug (its portal address)</span>
            <input required value={slug} onChange={(e) => setSlug(e.target.value.toLowerCase())} data-testid="tenant-slug" />
            {slug && !slugOk && <span className="problem">3–40 of a–z, 0–9 and -, not starting or ending with -</span>}
          </label>
          <label className="field"><span className="field-label">Admin email</span><input type="email" required value={adminEmail} onChange={(e) => setAdminEmail(e.target.value)} data-testid="tenant-admin-email" /></label>
          <button type="submit" className="btn btn-primary" disabled={busy || !slugOk} data-testid="tenant-submit">Create</button>
        </form>
      </Panel>
      <Panel title="Tenants">
        <LoadError error={list.error} what="the tenants" />
        {list.loading && !list.data ? (
          <Loading />
        ) : !list.data?.length ? (
          <Empty>No tenants.</Empty>
        ) : (
          <table className="table" data-testid="tenants-table">
            <thead><tr><th>Name</th><th>Slug</th><th>Admin</th><th>Status</th><th>Created</th><th /></tr></thead>
            <tbody>
              {list.data.map((t) => (
                <tr key={t.id} data-testid="tenant-row" data-slug={t.slug} data-status={t.status}>
                  <td>{t.name}</td>
                  <td><a href={portalPath(t.slug)}>{t.slug}</a></td>
                  <td>{t.admin_email}</td>
                  <td><Badge value={t.status} /></td>
                  <td>{dateTime(t.created_at)}</td>
                  <td>
                    {t.status === 'ACTIVE' ? (
                      <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => void setStatus(t, 'SUSPENDED')} data-testid="tenant-suspend">Suspend</button>
                    ) : (
                      <button type="button" className="btn btn-small" disabled={busy} onClick={() => void setStatus(t, 'ACTIVE')} data-testid="tenant-reactivate">Reactivate</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </div>
  );
}
