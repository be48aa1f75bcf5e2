/** A settings form's save: the page's own checks first, then the engine's, and what to show for either. */
export function submitSettings<
  V,
  E extends object,
  R extends { readonly ok: true; readonly message: string } | { readonly ok: false; readonly errors: E },
>(p: {
  readonly values: V;
  /** The same checks the engine makes first, so most mistakes show without a round trip. */
  readonly check: (values: V) => { readonly ok: true } | { readonly ok: false; readonly errors: E };
  readonly send: (values: V) => Promise<R>;
  /** The engine saved: take its view of the settings. */
  readonly saved: (result: Extract<R, { readonly ok: true }>) => void;
  readonly setErrors: (errors: E | Record<string, never>) => void;
  readonly setMessage: (message: string) => void;
  readonly setBusy: (busy: boolean) => void;
}): void {
  p.setMessage('');
  const local = p.check(p.values);
  if (!local.ok) return p.setErrors(local.errors);
  p.setBusy(true);
  p.send(p.values)
    .then((r) => {
      if (!r.ok) return p.setErrors((r as { errors: E }).errors);
      p.setErrors({});
      p.saved(r as Extract<R, { readonly ok: true }>);
      p.setMessage(r.message);
    })
    .catch((err: unknown) => p.setMessage(`Not saved: ${err instanceof Error ? err.message : String(err)}`))
    .finally(() => p.setBusy(false));
}
