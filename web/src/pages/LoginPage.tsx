import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth';
import { LoginForm } from './Login';

export default function LoginPage() {
  const { status, login, endedBecause } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  if (status === 'signed-in') return <Navigate to={from} replace />;
  return (
    <div className="login-page">
      <LoginForm
        notice={endedBecause}
        onLogin={async (email, password) => {
          await login(email, password);
          navigate(from, { replace: true });
        }}
      />
    </div>
  );
}
