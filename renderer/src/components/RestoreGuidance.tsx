import { RESTORE_WARNING, restoreSteps } from '@shared/router-guides';
import type { SetupProgress } from '@shared/setup';

/** "Stop and restore": the warning and exactly what to set back on the router, from what the user changed. */
export function RestoreGuidance({ progress }: { readonly progress: SetupProgress }) {
  const steps = restoreSteps(progress);
  return (
    <div className="restore" data-testid="restore-guidance">
      <p className="notice warn">{RESTORE_WARNING}</p>
      <p>When you are done, set back on your router:</p>
      <ol className="restore-steps">
        {steps.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ol>
      {!progress.wanChanged && !progress.dhcpChanged && (
        <p className="muted">You did not say which setting you changed, so both are listed.</p>
      )}
    </div>
  );
}
