import { useEffect, useState } from 'react';
import type { EngineStatus } from '@shared/events';
import type { SetupState } from '@shared/setup';
import type { Dashboard } from '../lib/dashboard';
import { formatHostPort } from '../lib/format';
import { answeringLanAddress, checkCommand } from '../lib/setup-view';
import { setupAdvice } from '../lib/status-summary';

interface Props {
  readonly status: EngineStatus | null;
  readonly onStart: () => void;
  /** Asks the engine for this computer's addresses and what stands in the way of port 53 there. */
  readonly invoke: Dashboard['invoke'];
  /** Opens the setup assistant. */
  readonly onSetup: () => void;
  /** Opens the Import dialog: history another program kept needs no router change. */
  readonly onImport: () => void;
}

/**
 * Shown until the first query is recorded: what to change on the router so queries arrive here. The router
 * is only ever told a LAN address that answers on port 53 (found by the engine's survey), never loopback.
 */
export function EmptyState({ status, onStart, invoke, onSetup, onImport }: Props) {
  const [survey, setSurvey] = useState<SetupState | null>(null);
  // The listeners decide which addresses answer; survey again when they change.
  const listenKey = (status?.listeners ?? []).map((l) => `${l.address}:${l.port}:${l.state}`).join(' ');
  useEffect(() => {
    let live = true;
    invoke('setup:state', { since: Date.now(), survey: true })
      .then((s) => live && setSurvey(s))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [invoke, listenKey]);

  const advice = setupAdvice(status);
  const lan = survey ? answeringLanAddress(survey.addresses) : null;
  const routerAddress = lan?.address ?? null;
  const placeholder = "this computer's LAN address";
  const recording = status?.capture?.state === 'running';
  const platform = survey?.platform ?? 'other';
  // The check from this computer goes where the router will send its queries, else to the listener.
  const check =
    lan !== null
      ? checkCommand(platform, lan.address, lan.port)
      : advice.address !== null && advice.port !== null
        ? checkCommand(platform, advice.address, advice.port)
        : null;
  const blocking = survey?.advice.find((a) => a.severity !== 'info') ?? null;
  return (
    <section className="empty" aria-labelledby="empty-title" data-testid="empty-state">
      <h2 id="empty-title">No queries recorded yet</h2>
      <p className="lead">
        DNS Witness answers DNS on{' '}
        <strong className="mono">
          {advice.address && advice.port !== null ? formatHostPort(advice.address, advice.port) : placeholder}
        </strong>{' '}
        and records every question it forwards. Send your network&rsquo;s DNS here:
      </p>
      <ol className="steps">
        <li>
          <strong>Your router&rsquo;s own lookups</strong> (its cloud and security services): in the
          router&rsquo;s admin page, set the <em>Internet / WAN DNS server</em> to{' '}
          <RouterAddress address={routerAddress} placeholder={placeholder} />.
        </li>
        <li>
          <strong>Every device on the network</strong>: set the <em>DHCP (LAN) DNS server</em> to{' '}
          <RouterAddress address={routerAddress} placeholder={placeholder} />, then reconnect the devices or
          wait until their lease renews.
        </li>
        {check !== null && (
          <li>
            <strong>Check it from this computer</strong>: <code data-testid="check-command">{check}</code>{' '}
            &mdash; the query appears here within a second.
          </li>
        )}
      </ol>
      {survey !== null && lan === null && (
        <div className="notice warn" data-testid="no-lan-address">
          <span>
            No LAN address of this computer answers DNS on port 53 yet, so there is nothing the router can
            use.
            {advice.loopbackOnly && ' DNS Witness listens only on loopback, which the router cannot reach.'}
            {blocking && ` ${blocking.title}.`}
          </span>
          {blocking && blocking.commands.length > 0 && <code>{blocking.commands[0]}</code>}
          <button type="button" className="button small" onClick={onSetup}>
            Open the setup assistant
          </button>
        </div>
      )}
      {advice.unusualPort && lan === null && !advice.loopbackOnly && (
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
      <p className="notice">
        Already have DNS history from Pi-hole, AdGuard Home, dnsmasq or a packet capture?{' '}
        <button type="button" className="button small" onClick={onImport}>
          Import…
        </button>
      </p>
    </section>
  );
}

function RouterAddress({ address, placeholder }: { address: string | null; placeholder: string }) {
  return address === null ? (
    <em>{placeholder}</em>
  ) : (
    <span className="mono" data-testid="router-address">
      {address}
    </span>
  );
}
