import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { TokenRequired } from './components/TokenRequired';
import { adoptTokenFromLocation, forgetToken, probeAccess, storeToken } from './lib/access-token';
import { createBridge } from './lib/bridge';
import { browserClock, Dashboard } from './lib/dashboard';
import { applyRememberedTheme } from './lib/theme';
import './styles.css';

applyRememberedTheme(document);
const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
const bridge = createBridge();

async function start(el: HTMLElement): Promise<void> {
  // In a browser the service may want its access token (listening on the network, or --token).
  if (bridge.transport === 'websocket') {
    const had = adoptTokenFromLocation(window) !== null;
    const access = await probeAccess(window);
    if (access !== 'ok') {
      forgetToken(window);
      createRoot(el).render(
        <StrictMode>
          <TokenRequired
            refused={had}
            gate={access}
            onToken={(token) => {
              storeToken(window, token);
              window.location.reload();
            }}
          />
        </StrictMode>,
      );
      return;
    }
  }
  const dashboard = new Dashboard(bridge, browserClock());
  createRoot(el).render(
    <StrictMode>
      <App dashboard={dashboard} />
    </StrictMode>,
  );
}

void start(root);
