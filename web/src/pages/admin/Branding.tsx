// The tenant's branding (SUPERADMIN): GET/PUT /branding, with a live preview of the portal's
// header and a button in the new colours. Saved branding applies to the dashboard at once.

import { useEffect, useState, type CSSProperties } from 'react';
import { branding, type Branding } from '../../api/tenancy';
import { useAuth } from '../../auth';
import { LoadError, Loading, PageHeader, Panel } from '../../components/ui';
import { useLoad } from '../../lib/hooks';
import { portalPath } from '../../lib/leave';
import { applyBranding, brandingVars, safeColor, safeLogo } from '../../lib/tenantLook';
import { useAction } from '../../notify';

const EMPTY: Branding = { shop_name: '', logo_url: '', primary_color: '#2f6fed', accent_color: '#141b2d', email_sender_name: '', support_email: '' };

export function BrandPreview({ value }: { value: Branding }) {
  const logo = safeLogo(value.logo_url);
  return (
    <div className="brand-preview" style={brandingVars(value) as CSSProperties} data-testid="branding-preview" data-primary={safeColor(value.primary_color) ?? ''}>
      <div className="portal-head">
        <div className="brand">
          {logo ? <img className="brand-logo" src={logo} alt="" /> : <span className="brand-mark" aria-hidden="true">◆</span>}
          <span data-testid="preview-shop-name">{value.shop_name || 'Your shop'}</span>
        </div>
        <nav><a className="active">Shop</a><a>My orders</a></nav>
      </div>
      <div className="panel-body">
        <p>Your order has shipped. Questions? {value.support_email || 'support@…'}</p>
        <button type="button" className="btn btn-primary">Track my order</button>
        <p className="muted small">Emails come from “{value.email_sender_name || value.shop_name || '…'}”.</p>
      </div>
    </div>
  );
}

export default function BrandingPage() {
  const { me } = useAuth();
  const current = useLoad(() => branding.get(), []);
  const [form, setForm] = useState<Branding>(EMPTY);
  const { run, busy } = useAction();
  useEffect(() => {
    if (current.data) setForm({ ...EMPTY, ...current.data });
  }, [current.data]);

  const field = (name: keyof Branding) => ({
    value: form[name] ?? '',
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value })),
  });
  const badColour = (v: string | null | undefined) => Boolean(v) && !safeColor(v);
  const badLogo = Boolean(form.logo_url) && !safeLogo(form.logo_url);

  async function save() {
    const body: Branding = {
      shop_name: form.shop_name.trim(),
      logo_url: form.logo_url?.trim() || null,
      // colours left out fall back to the API's defaults (it takes no null for them)
      primary_color: form.primary_color?.trim() || undefined,
      accent_color: form.accent_color?.trim() || undefined,
      email_sender_name: form.email_sender_name?.trim() || null,
      support_email: form.support_email?.trim() || null,
    };
    const saved = await run('Save the branding', () => branding.save(body), 'Branding saved');
    if (saved) {
      current.setData(saved);
      applyBranding(saved, ' · operations');
    }
  }

  return (
    <div data-testid="page-branding">
      <PageHeader title="Branding" subtitle={<>How your shop looks in the customer portal (<a href={portalPath(me?.tenant_slug)}>{portalPath(me?.tenant_slug)}</a>), its emails and this dashboard.</>} />
      <LoadError error={current.error} what="the branding" />
      {current.loading && !current.data ? (
        <Loading />
      ) : (
        <div className="grid-2">
          <Panel title="Settings" testid="branding-form">
            <label className="field"><span className="field-label">Shop name</span><input required {...field('shop_name')} data-testid="branding-shop-name" /></label>
            <label className="field"><span className="field-label">Logo URL (https)</span><input {...field('logo_url')} placeholder="https://…/logo.png" data-testid="branding-logo-url" />
              {badLogo && <span className="problem">Use an https:// address</span>}</label>
            <div className="row">
              <label className="field"><span className="field-label">Primary colour</span><input {...field('primary_color')} placeholder="#2f6fed" data-testid="branding-primary" />
                {badColour(form.primary_color) && <span className="problem">A hex colour such as #2f6fed</span>}</label>
              <input type="color" value={safeColor(form.primary_color) ?? '#2f6fed'} onChange={(e) => setForm((f) => ({ ...f, primary_color: e.target.value }))} aria-label="Pick the primary colour" />
              <label className="field"><span className="field-label">Accent colour</span><input {...field('accent_color')} placeholder="#141b2d" data-testid="branding-accent" />
                {badColour(form.accent_color) && <span className="problem">A hex colour such as #141b2d</span>}</label>
              <input type="color" value={safeColor(form.accent_color) ?? '#141b2d'} onChange={(e) => setForm((f) => ({ ...f, accent_color: e.target.value }))} aria-label="Pick the accent colour" />
            </div>
            <div className="row">
              <label className="field"><span className="field-label">Email sender name</span><input {...field('email_sender_name')} data-testid="branding-sender" /></label>
              <label className="field"><span className="field-label">Support email</span><input type="email" {...field('support_email')} data-testid="branding-support" /></label>
            </div>
            <button type="button" className="btn btn-primary" disabled={busy || !form.shop_name.trim()} onClick={() => void save()} data-testid="branding-save">Save</button>
          </Panel>
          <Panel title="Preview">
            <BrandPreview value={form} />
          </Panel>
        </div>
      )}
    </div>
  );
}
