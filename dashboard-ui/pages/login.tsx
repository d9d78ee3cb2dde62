/** The login form: an API token (quantgrid token create), exchanged for a session cookie. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { API, type LoginRequest, type MeResponse } from '../../shared/dashboard/api-types.js';
import { apiPost } from '../api/http.js';

export function LoginPage(props: { onLogin: (me: MeResponse) => void }): JSX.Element {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const request: LoginRequest = { token: token.trim() };
      props.onLogin(await apiPost<MeResponse>(API.login, request));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={(event) => void onSubmit(event)}>
        <h1>quantgrid</h1>
        <p class="muted">Sign in with an API token (an admin hands them out with <code>quantgrid token create</code>).</p>
        <label>
          Token
          <input name="token" type="password" autoComplete="current-password" value={token} onInput={(event) => setToken((event.target as HTMLInputElement).value)} required autoFocus />
        </label>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
