// The frame of every signed-in page: navigation on the left, who is signed in, the banner; the
// tenant's branding (shop name, logo, colours) once signed in.

import { Suspense, useEffect } from 'react';
import { NavLink, Outlet } from 'react-router-dom';
import { useAuth } from '../auth';
import { Banner } from '../notify';
import { navFor } from '../roles';
import { humanize } from '../format';
import { branding, mailbox } from '../api/tenancy';
import { useLoad } from '../lib/hooks';
import { useOpenAlertCount } from '../lib/alerts';
import { applyBranding, safeLogo } from '../lib/tenantLook';
import { Loading } from './ui';

export function Layout() {
  const { me, logout, can } = useAuth();
  const slug = me?.tenant_slug;
  const brand = useLoad(() => (slug ? branding.forSlug(slug) : branding.get()), [slug]);
  // the local mailbox exists only in the local cloud: its entry shows when GET /local/mailbox answers
  const local = useLoad(() => (can.admin ? mailbox.list().then(() => true) : Promise.resolve(false)), [can.admin]);
  useEffect(() => {
    if (brand.data) applyBranding(brand.data, ' · operations');
    return () => applyBranding(null);
  }, [brand.data]);
  const logo = safeLogo(brand.data?.logo_url);
  const openAlerts = useOpenAlertCount(can.user);
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand" data-testid="brand" data-shop-name={brand.data?.shop_name ?? ''}>
          {logo ? (
            <img className="brand-logo" src={logo} alt="" data-testid="brand-logo" />
          ) : (
            <span className="brand-mark" aria-hidden="true">☁</span>
          )}
          {brand.data?.shop_name ? (
            <span data-testid="brand-name">{brand.data.shop_name}</span>
          ) : (
            <span>
              Cirrus <strong>OMS</strong>
            </span>
          )}
        </div>
        <nav className="nav" aria-label="Main">
          {navFor(me?.role, local.data === true).map((item) => (
            <NavLink key={item.to} to={item.to} end={item.to === '/'} className={({ isActive }) => `nav-link ${isActive ? 'active' : ''}`} data-testid={item.testid}>
              <span className="nav-icon" aria-hidden="true">{item.icon}</span>
              {item.label}
              {item.to === '/inventory' && openAlerts > 0 && (
                <span className="nav-badge" title={`${openAlerts} open stock alerts`} data-testid="nav-inventory-alerts" data-count={openAlerts}>
                  {openAlerts > 99 ? '99+' : openAlerts}
                </span>
              )}
            </NavLink>
          ))}
        </nav>
        <div className="sidebar-foot muted small">Tenant {me?.tenant_slug ?? me?.tenant_id}</div>
      </aside>
      <div className="main">
        <header className="topbar">
          <div className="topbar-spacer" />
          <div className="who" data-testid="current-user">
            <span className="who-email">{me?.email}</span>
            <span className="badge badge-info" data-testid="current-role">{humanize(me?.role)}</span>
          </div>
          <button type="button" className="btn btn-ghost" onClick={logout} data-testid="logout-button">
            Sign out
          </button>
        </header>
        <Banner />
        <main className="content">
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}
