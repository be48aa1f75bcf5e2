/** The end of a Settings form: where it is kept, its save button, and what the last save said. */
export function SettingsFooter(p: {
  readonly file: string;
  readonly saving: boolean;
  readonly label: string;
  readonly message: string;
  readonly testId: string;
}) {
  return (
    <>
      <div className="settings-actions">
        <span className="muted settings-file">Kept in {p.file}</span>
        <button type="submit" className="button primary" disabled={p.saving}>
          {p.saving ? 'Saving…' : p.label}
        </button>
      </div>
      {p.message !== '' && (
        <p className="notice" role="status" data-testid={p.testId}>
          {p.message}
        </p>
      )}
    </>
  );
}
