import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createBridge } from './lib/bridge';
import { browserClock, Dashboard } from './lib/dashboard';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
const dashboard = new Dashboard(createBridge(), browserClock());
createRoot(root).render(
  <StrictMode>
    <App dashboard={dashboard} />
  </StrictMode>,
);
