// The customer portal rendered at a path (under /portal, e.g. '/demo/orders'), over a fake API.

import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { Suspense } from 'react';
import PortalApp from '../portal/PortalApp';
import { AuthProvider } from '../auth';
import { NotifyProvider } from '../notify';
import { session } from '../api';
import { fakeApi, type Handler } from './fakeApi';

export const DEMO_BRANDING = { shop_name: 'Demo Outfitters', logo_url: null, primary_color: '#0a7d5a', accent_color: '#f2a900', email_sender_name: 'Demo', support_email: 'help@example.com' };
export const CUSTOMER_ME = { user_id: 'c1', email: 'customer@example.com', tenant_id: 'demo', tenant_slug: 'demo', role: 'CUSTOMER', name: 'Casey Customer' };

export function renderPortal(path: string, routes: Record<string, Handler>, signedIn = true) {
  if (signedIn) session.set('tok', 3600);
  const api = fakeApi({
    'GET /auth/me': () => ({ status: 200, body: CUSTOMER_ME }),
    'GET /branding/demo': () => ({ status: 200, body: DEMO_BRANDING }),
    ...routes,
  });
  render(
    <MemoryRouter initialEntries={[path]}>
      <NotifyProvider>
        <AuthProvider>
          <Suspense fallback={null}>
            <PortalApp />
          </Suspense>
        </AuthProvider>
      </NotifyProvider>
    </MemoryRouter>,
  );
  return api;
}
