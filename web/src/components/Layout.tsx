// The frame of every signed-in page: navigation on the left, who is signed in, the banner.

import { Suspense } from 'react';
import { NavLink, Outlet } from 'react-router-dom';
import { useAuth } from '../auth';
import { Banner } from '../notify';
import { navFor } from '../roles';
import { humanize } from '../format';
import { Loading } from './ui';

export function Layout() {
  const { me, logout } = useAuth();
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">☁</span>
          <span>
            Cirrus <strong>OMS</strong>
          </span>
        </div>
        <nav className="nav" aria-label="Main">
          {navFor(me?.role).map((item) => (
            <NavLink key={item.to} to={item.to} end={item.to === '/'} className={({ isActive }) => `nav-link ${isActive ? 'active' : ''}`} data-testid={item.testid}>
              <span className="nav-icon" aria-hidden="true">{item.icon}</span>
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="sidebar-foot muted small">Tenant {me?.tenant_id}</div>
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
