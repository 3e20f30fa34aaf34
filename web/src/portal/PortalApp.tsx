// The customer portal (/portal/<slug>/…, ADR 0037): the same app in a customer mode. Branded per
// tenant from GET /branding/{slug}; sign in, the catalog and an order, own orders with their
// timeline and tracking, cancel while allowed, accept an invitation, email preferences, and the
// unsubscribe link of an order email.

import { createContext, lazy, Suspense, useContext, useEffect, useState, type ReactNode } from 'react';
import { Navigate, NavLink, Outlet, Route, Routes, useLocation, useNavigate, useParams } from 'react-router-dom';
import { useAuth } from '../auth';
import { toApiError, type ApiError } from '../api';
import { branding, shop, type Branding } from '../api/tenancy';
import { Banner } from '../notify';
import { Loading, LoadError } from '../components/ui';
import { useLoad } from '../lib/hooks';
import { browser } from '../lib/leave';
import { applyBranding, safeLogo } from '../lib/tenantLook';
import { LoginForm } from '../pages/Login';
import { SetPasswordForm } from '../pages/AcceptInvitation';

const Shop = lazy(() => import('./Shop'));
const MyOrders = lazy(() => import('./MyOrders'));
const MyOrder = lazy(() => import('./MyOrder'));
const Preferences = lazy(() => import('./Preferences'));
const MyReturns = lazy(() => import('./MyReturns'));

const BrandContext = createContext<Branding | null>(null);
export const useBrand = () => useContext(BrandContext);

/** The portal's own links: /portal/<slug>/<rest> as a router path. */
export function usePortalPath() {
  const { slug = '' } = useParams();
  return (rest = '') => `/${encodeURIComponent(slug)}${rest}`;
}

function BrandMark({ brand }: { brand: Branding | null }) {
  const logo = safeLogo(brand?.logo_url);
  return (
    <div className="brand" data-testid="portal-brand" data-shop-name={brand?.shop_name ?? ''}>
      {logo ? <img className="brand-logo" src={logo} alt="" data-testid="portal-logo" /> : <span className="brand-mark" aria-hidden="true">◆</span>}
      <span>{brand?.shop_name ?? 'Shop'}</span>
    </div>
  );
}

/** A page only a signed-in customer sees; a person of the team goes to the dashboard. */
function RequireCustomer({ children }: { children: ReactNode }) {
  const { status, me } = useAuth();
  const { slug = '' } = useParams();
  const location = useLocation();
  const to = usePortalPath();
  const away = status === 'signed-in' && me?.role !== 'CUSTOMER';
  useEffect(() => {
    if (away) browser.go('/app/');
  }, [away]);
  if (status === 'loading') return <Loading what="your session" />;
  if (status !== 'signed-in') return <Navigate to={to('/login')} replace state={{ from: location.pathname }} />;
  if (away) return <div className="panel" data-testid="portal-staff-redirect"><div className="panel-body">Taking you to the dashboard…</div></div>;
  if (me?.tenant_slug && me.tenant_slug !== slug) return <Navigate to={`/${encodeURIComponent(me.tenant_slug)}`} replace />;
  return <>{children}</>;
}

function Shell() {
  const { slug = '' } = useParams();
  const { status, me, logout } = useAuth();
  const to = usePortalPath();
  const brand = useLoad(() => branding.forSlug(slug), [slug]);
  useEffect(() => {
    if (brand.data) applyBranding(brand.data);
    return () => applyBranding(null);
  }, [brand.data]);
  const signedIn = status === 'signed-in' && me?.role === 'CUSTOMER';
  return (
    <BrandContext.Provider value={brand.data}>
      <div className="portal" data-testid="portal" data-slug={slug}>
        <header className="portal-head">
          <BrandMark brand={brand.data} />
          {signedIn && (
            <nav aria-label="Shop">
              <NavLink end to={to()} className={({ isActive }) => (isActive ? 'active' : '')} data-testid="nav-portal-shop">Shop</NavLink>
              <NavLink to={to('/orders')} className={({ isActive }) => (isActive ? 'active' : '')} data-testid="nav-portal-orders">My orders</NavLink>
              <NavLink to={to('/returns')} className={({ isActive }) => (isActive ? 'active' : '')} data-testid="nav-portal-returns">My returns</NavLink>
              <NavLink to={to('/preferences')} className={({ isActive }) => (isActive ? 'active' : '')} data-testid="nav-portal-preferences">Emails</NavLink>
            </nav>
          )}
          <span className="spacer" />
          {signedIn && (
            <>
              <span className="small" data-testid="portal-user">{me?.email}</span>
              <button type="button" className="btn btn-small" onClick={logout} data-testid="portal-logout">Sign out</button>
            </>
          )}
        </header>
        <main className="portal-main">
          {brand.error && brand.error.status === 404 ? (
            <div className="panel" data-testid="portal-unknown-shop"><div className="panel-body">There is no shop called “{slug}”.</div></div>
          ) : (
            <>
              <LoadError error={brand.error} what="the shop's branding" />
              <Banner />
              <Suspense fallback={<Loading />}>
                <Outlet />
              </Suspense>
            </>
          )}
        </main>
      </div>
    </BrandContext.Provider>
  );
}

function PortalLogin() {
  const { status, me, login, endedBecause } = useAuth();
  const brand = useBrand();
  const navigate = useNavigate();
  const location = useLocation();
  const to = usePortalPath();
  const from = (location.state as { from?: string } | null)?.from ?? to();
  const staff = status === 'signed-in' && me?.role !== 'CUSTOMER';
  useEffect(() => {
    if (staff) browser.go('/app/'); // a person of the team signed in here: the dashboard is theirs
  }, [staff]);
  if (status === 'signed-in' && me?.role === 'CUSTOMER') return <Navigate to={from} replace />;
  return (
    <div className="login-page" data-testid="page-portal-login">
      <LoginForm
        notice={endedBecause}
        brand={brand}
        subtitle="Sign in to order and follow your orders"
        onLogin={async (email, password) => {
          await login(email, password);
          navigate(from, { replace: true });
        }}
      />
    </div>
  );
}

function Accept() {
  const to = usePortalPath();
  const { search } = useLocation();
  const token = new URLSearchParams(search).get('token') ?? '';
  return (
    <div data-testid="page-portal-accept">
      <SetPasswordForm token={token} signIn={<NavLink to={to('/login')} data-testid="accept-sign-in">Sign in to the shop</NavLink>} />
    </div>
  );
}

/** The unsubscribe link of an order email. It acts only on the button: mail scanners open links. */
function Unsubscribe() {
  const { search } = useLocation();
  const brand = useBrand();
  const token = new URLSearchParams(search).get('token') ?? '';
  const [state, setState] = useState<'ask' | 'busy' | 'done'>('ask');
  const [error, setError] = useState<ApiError | null>(null);
  async function stop() {
    setState('busy');
    setError(null);
    try {
      await shop.unsubscribe(token);
      setState('done');
    } catch (err) {
      setError(toApiError(err));
      setState('ask');
    }
  }
  return (
    <div className="login-page" data-testid="page-portal-unsubscribe">
      <div className="login-card">
        {state === 'done' ? (
          <div data-testid="unsubscribe-done">
            <h2>You will get no more order emails</h2>
            <p>{brand?.shop_name ?? 'The shop'} will not email you about your orders. A customer who signs in can turn them back on under Emails.</p>
          </div>
        ) : (
          <>
            <h2>Stop order emails?</h2>
            <p>No more confirmation, shipped, delivered or cancelled emails from {brand?.shop_name ?? 'this shop'}.</p>
            {!token && <div className="load-error" data-testid="unsubscribe-no-token">This link has no token: open the link from your email again.</div>}
            {error && (
              <div className="banner banner-error" role="alert" data-testid="error-banner" data-code={error.code}>
                <div className="banner-body"><span data-testid="error-message">{error.message}</span></div>
              </div>
            )}
            <button type="button" className="btn btn-primary btn-block" disabled={!token || state === 'busy'} onClick={() => void stop()} data-testid="unsubscribe-confirm">
              {state === 'busy' ? 'Saving…' : 'Stop order emails'}
            </button>
          </>
        )}
      </div>
    </div>
  );
}

function NoShop() {
  return (
    <div className="login-page">
      <div className="login-card" data-testid="portal-no-shop">Open your shop&apos;s link (…/portal/&lt;shop&gt;).</div>
    </div>
  );
}

export default function PortalApp() {
  return (
    <Routes>
      <Route path="/" element={<NoShop />} />
      <Route path="/:slug" element={<Shell />}>
        <Route path="login" element={<PortalLogin />} />
        <Route path="accept" element={<Accept />} />
        <Route path="unsubscribe" element={<Unsubscribe />} />
        <Route index element={<RequireCustomer><Shop /></RequireCustomer>} />
        <Route path="orders" element={<RequireCustomer><MyOrders /></RequireCustomer>} />
        <Route path="orders/:orderId" element={<RequireCustomer><MyOrder /></RequireCustomer>} />
        <Route path="returns" element={<RequireCustomer><MyReturns /></RequireCustomer>} />
        <Route path="preferences" element={<RequireCustomer><Preferences /></RequireCustomer>} />
        <Route path="*" element={<Navigate to="." replace />} />
      </Route>
    </Routes>
  );
}
