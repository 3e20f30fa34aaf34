// Routes: the login page, and the signed-in pages (each its own chunk) inside the layout.

import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { useAuth } from './auth';
import { Layout } from './components/Layout';
import { Loading } from './components/ui';
import type { Role } from './api';
import { atLeast } from './roles';
import LoginPage from './pages/LoginPage';
import { browser, portalPath } from './lib/leave';

const Overview = lazy(() => import('./pages/Overview'));
const Orders = lazy(() => import('./pages/Orders'));
const CreateOrder = lazy(() => import('./pages/CreateOrder'));
const OrderDetail = lazy(() => import('./pages/OrderDetail'));
const Inventory = lazy(() => import('./pages/Inventory'));
const StockAlerts = lazy(() => import('./pages/inventory/Alerts'));
const Returns = lazy(() => import('./pages/returns/Returns'));
const ReturnDetail = lazy(() => import('./pages/returns/ReturnDetail'));
const Products = lazy(() => import('./pages/Products'));
const Nodes = lazy(() => import('./pages/Nodes'));
const Rules = lazy(() => import('./pages/Rules'));
const Integrations = lazy(() => import('./pages/Integrations'));
const Operations = lazy(() => import('./pages/Operations'));
const Architect = lazy(() => import('./pages/architect/Architect'));
const Radar = lazy(() => import('./pages/radar/Radar'));
const OrderSla = lazy(() => import('./pages/radar/OrderSla'));
const Invoices = lazy(() => import('./pages/invoices/Invoices'));
const InvoiceDetail = lazy(() => import('./pages/invoices/InvoiceDetail'));
const Workflow = lazy(() => import('./pages/admin/Workflow'));
const Users = lazy(() => import('./pages/admin/Users'));
const Tenants = lazy(() => import('./pages/admin/Tenants'));
const BrandingPage = lazy(() => import('./pages/admin/Branding'));
const Mailbox = lazy(() => import('./pages/admin/Mailbox'));
const AcceptInvitation = lazy(() => import('./pages/AcceptInvitation'));

/** A customer never gets the dashboard: their shop's portal instead. */
function ToPortal({ slug }: { slug: string | null | undefined }) {
  const target = portalPath(slug);
  useEffect(() => browser.go(target), [target]);
  return (
    <div className="login-page">
      <div className="login-card" data-testid="customer-redirect" data-target={target}>
        Customers use the shop&apos;s portal: <a href={target}>{target}</a>
      </div>
    </div>
  );
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { status, me } = useAuth();
  const location = useLocation();
  if (status === 'loading') return <Loading what="your session" />;
  if (status !== 'signed-in') return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (me?.role === 'CUSTOMER') return <ToPortal slug={me.tenant_slug ?? me.tenant_id} />;
  return <>{children}</>;
}

function RequireRole({ minimum, children }: { minimum: Role; children: ReactNode }) {
  const { me } = useAuth();
  if (!atLeast(me?.role, minimum)) {
    return (
      <div className="panel" data-testid="forbidden">
        <div className="panel-body">This page needs the {minimum} role; you are signed in as {me?.role}.</div>
      </div>
    );
  }
  return <>{children}</>;
}

function NotFound() {
  return (
    <div className="panel" data-testid="not-found">
      <div className="panel-body">There is no page here.</div>
    </div>
  );
}

export function App() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/accept-invitation" element={<AcceptInvitation />} />
        <Route path="/reset-password" element={<AcceptInvitation reset />} />
        <Route
          element={
            <RequireAuth>
              <Layout />
            </RequireAuth>
          }
        >
          <Route index element={<Overview />} />
          <Route path="orders" element={<Orders />} />
          <Route path="orders/new" element={<CreateOrder />} />
          <Route path="orders/:orderId" element={<OrderDetail />} />
          <Route path="inventory" element={<Inventory />} />
          <Route path="inventory/alerts" element={<StockAlerts />} />
          <Route path="returns" element={<Returns />} />
          <Route path="returns/:returnId" element={<ReturnDetail />} />
          <Route path="products" element={<Products />} />
          <Route path="nodes" element={<Nodes />} />
          <Route path="rules" element={<Rules />} />
          <Route path="radar" element={<Radar />} />
          <Route path="radar/orders/:orderRef" element={<OrderSla />} />
          <Route path="invoices" element={<Invoices />} />
          <Route path="invoices/:invoiceId" element={<InvoiceDetail />} />
          <Route path="integrations" element={<RequireRole minimum="SUPERADMIN"><Integrations /></RequireRole>} />
          <Route path="operations" element={<RequireRole minimum="SUPERADMIN"><Operations /></RequireRole>} />
          <Route path="architect" element={<RequireRole minimum="SUPERADMIN"><Architect /></RequireRole>} />
          <Route path="workflow" element={<RequireRole minimum="SUPERADMIN"><Workflow /></RequireRole>} />
          <Route path="users" element={<RequireRole minimum="SUPERADMIN"><Users /></RequireRole>} />
          <Route path="branding" element={<RequireRole minimum="SUPERADMIN"><BrandingPage /></RequireRole>} />
          <Route path="mailbox" element={<RequireRole minimum="SUPERADMIN"><Mailbox /></RequireRole>} />
          <Route path="tenants" element={<RequireRole minimum="PLATFORM_OWNER"><Tenants /></RequireRole>} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
