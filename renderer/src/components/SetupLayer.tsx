import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EngineStatus } from '@shared/events';
import { NO_PROGRESS, type SetupProgress, type SetupProgressChange } from '@shared/setup';
import type { Dashboard } from '../lib/dashboard';
import { captureStopped, routerPointed } from '../lib/setup-view';
import { Modal } from './Modal';
import { RestoreGuidance } from './RestoreGuidance';
import { SettingsPanel } from './SettingsPanel';
import { SetupAssistant } from './SetupAssistant';
import './setup.css';

export type SetupDialog = 'setup' | 'settings' | null;

interface Props {
  readonly dashboard: Dashboard;
  readonly status: EngineStatus | null;
  readonly dialog: SetupDialog;
  readonly onDialog: (dialog: SetupDialog) => void;
  /** The router's own queries were recorded in this capture. */
  readonly routerTraffic: boolean;
}

/** The header's Setup and Settings buttons. */
export function SetupButtons({ onDialog }: { readonly onDialog: (dialog: SetupDialog) => void }) {
  return (
    <>
      <button type="button" className="button" onClick={() => onDialog('setup')}>
        Setup
      </button>
      <button type="button" className="button" onClick={() => onDialog('settings')}>
        Settings
      </button>
    </>
  );
}

/**
 * Owns the setup assistant, the Settings panel and the "Stop and restore" guidance: opens the assistant by
 * itself on the first run, and shows the restore guidance when a capture stops while the router may depend
 * on this computer.
 */
export function SetupLayer({ dashboard, status, dialog, onDialog, routerTraffic }: Props) {
  const [progress, setProgress] = useState<SetupProgress>(NO_PROGRESS);
  const [routerSeen, setRouterSeen] = useState(false);
  const [assistantOpened, setAssistantOpened] = useState(false);
  // Noted while rendering (React's pattern for state derived from props), not in an effect.
  if (dialog === 'setup' && !assistantOpened) setAssistantOpened(true);
  const [restore, setRestore] = useState(false);
  const [error, setError] = useState('');
  const invoke = useMemo<Dashboard['invoke']>(() => dashboard.invoke.bind(dashboard), [dashboard]);

  useEffect(() => {
    let live = true;
    // Without the survey: the first-run check must not run socket tools on every page load.
    invoke('setup:state', { since: Date.now(), survey: false })
      .then((s) => {
        if (!live) return;
        setProgress(s.progress);
        if (s.firstRun) onDialog('setup');
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
    // Once per page: the first-run check must not reopen the assistant after it was closed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [invoke]);

  // The capture going from running to stopped brings the restore guidance back.
  const capture = status?.capture;
  const previous = useRef(capture);
  useEffect(() => {
    if (
      captureStopped(previous.current, capture) &&
      routerPointed(progress, routerSeen || routerTraffic, assistantOpened)
    )
      setRestore(true);
    previous.current = capture;
  }, [capture, progress, routerSeen, routerTraffic, assistantOpened]);

  const saveProgress = useCallback(
    (change: SetupProgressChange) => {
      setProgress((p) => ({ ...p, ...(change as Partial<SetupProgress>) }));
      invoke('setup:progress', change)
        .then((p) => {
          setProgress(p);
          setError('');
        })
        .catch((err: unknown) =>
          setError(`Could not save: ${err instanceof Error ? err.message : String(err)}`),
        );
    },
    [invoke],
  );
  const closeSetup = useCallback(() => {
    onDialog(null);
    if (!progress.done) saveProgress({ done: true });
  }, [onDialog, progress.done, saveProgress]);
  const seen = useCallback(() => setRouterSeen(true), []);

  return (
    <>
      {dialog === 'setup' && (
        <SetupAssistant
          invoke={invoke}
          progress={progress}
          onProgress={saveProgress}
          onRouterSeen={seen}
          onClose={closeSetup}
        />
      )}
      {dialog === 'settings' && <SettingsPanel invoke={invoke} onClose={() => onDialog(null)} />}
      {restore && dialog === null && (
        <Modal
          title="Stop and restore"
          role="alertdialog"
          onClose={() => setRestore(false)}
          testId="restore-dialog"
        >
          <p>The capture stopped. If you are done, undo the router settings now.</p>
          <RestoreGuidance progress={progress} />
        </Modal>
      )}
      {error !== '' && (
        <p className="notice bad setup-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
