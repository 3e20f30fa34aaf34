import { useEffect } from 'react';
import { Navigate, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { useAuth } from '../auth';
import { branding } from '../api/tenancy';
import { useLoad } from '../lib/hooks';
import { applyBranding } from '../lib/tenantLook';
import { LoginForm } from './Login';

export default function LoginPage() {
  const { status, login, endedBecause } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  // /app/login?tenant=<slug>: the tenant's branding (public GET /branding/{slug})
  const tenant = params.get('tenant') ?? '';
  const brand = useLoad(() => (tenant ? branding.forSlug(tenant) : Promise.resolve(null)), [tenant]);
  useEffect(() => {
    if (brand.data) applyBranding(brand.data);
  }, [brand.data]);
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  if (status === 'signed-in') return <Navigate to={from} replace />;
  return (
    <div className="login-page">
      <LoginForm
        notice={endedBecause}
        brand={brand.data}
        onLogin={async (email, password) => {
          await login(email, password);
          navigate(from, { replace: true });
        }}
      />
    </div>
  );
}
