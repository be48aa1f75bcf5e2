import type { EngineStatus } from '@shared/events';
import { formatHostPort } from '../lib/format';
import { setupAdvice } from '../lib/status-summary';

interface Props {
  readonly status: EngineStatus | null;
  readonly onStart: () => void;
}

/** Shown until the first query is recorded: what to change on the router so queries arrive here. */
export function EmptyState({ status, onStart }: Props) {
  const advice = setupAdvice(status);
  const address = advice.address ?? "this computer's LAN address";
  const recording = status?.capture?.state === 'running';
  return (
    <section className="empty" aria-labelledby="empty-title" data-testid="empty-state">
      <h1 id="empty-title">No queries recorded yet</h1>
      <p className="lead">
        DNS Witness answers DNS on{' '}
        <strong className="mono">
          {advice.address && advice.port !== null ? formatHostPort(advice.address, advice.port) : address}
        </strong>{' '}
        and records every question it forwards. Send your network&rsquo;s DNS here:
      </p>
      <ol className="steps">
        <li>
          <strong>Your router&rsquo;s own lookups</strong> (its cloud and security services): in the
          router&rsquo;s admin page, set the <em>Internet / WAN DNS server</em> to{' '}
          <span className="mono">{address}</span>.
        </li>
        <li>
          <strong>Every device on the network</strong>: set the <em>DHCP (LAN) DNS server</em> to{' '}
          <span className="mono">{address}</span>, then reconnect the devices or wait until their lease
          renews.
        </li>
        <li>
          <strong>Check it from this computer</strong>:{' '}
          <code>
            dig @{advice.address ?? '127.0.0.1'}
            {advice.port !== null && advice.port !== 53 ? ` -p ${advice.port}` : ''} example.com
          </code>{' '}
          &mdash; the query appears here within a second.
        </li>
      </ol>
      {advice.loopbackOnly && (
        <p className="notice warn">
          It listens only on this computer&rsquo;s loopback address, so the router and other devices cannot
          reach it yet. Listen on the LAN address as well.
        </p>
      )}
      {advice.unusualPort && !advice.loopbackOnly && (
        <p className="notice warn">
          Routers send DNS to port 53 only; the port in use is {advice.port}, so the router cannot be pointed
          here directly.
        </p>
      )}
      {status && !recording && (
        <p className="notice">
          Recording is stopped: queries are answered but not kept.{' '}
          <button type="button" className="button primary small" onClick={onStart}>
            Start capture
          </button>
        </p>
      )}
    </section>
  );
}
