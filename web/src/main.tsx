import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './App';
import { AuthProvider } from './auth';
import { Loading } from './components/ui';
import { NotifyProvider } from './notify';
import './styles.css';

// One app, two front doors (ADR 0037): /app/ is the operations dashboard, /portal/<slug>/ the
// customer portal of a tenant (its own chunk, loaded only there).
const PortalApp = lazy(() => import('./portal/PortalApp'));
const path = window.location.pathname;
const portal = path === '/portal' || path.startsWith('/portal/');

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter basename={portal ? '/portal' : '/app'}>
      <NotifyProvider>
        <AuthProvider>
          {portal ? (
            <Suspense fallback={<Loading />}>
              <PortalApp />
            </Suspense>
          ) : (
            <App />
          )}
        </AuthProvider>
      </NotifyProvider>
    </BrowserRouter>
  </StrictMode>,
);
