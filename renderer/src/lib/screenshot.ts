/** The element a dashboard PNG shows; the App puts this attribute on its root. */
export const EVIDENCE_ROOT_ATTR = 'data-evidence-root';

/**
 * Renders the dashboard (the element marked EVIDENCE_ROOT_ATTR, as it is on screen now, evidence strip
 * included) to a PNG in the page itself, for the browser transport; the desktop app captures the window
 * instead. The renderer library is loaded on first use.
 */
export async function renderDashboardPng(doc: Document): Promise<Blob> {
  const node = doc.querySelector<HTMLElement>(`[${EVIDENCE_ROOT_ATTR}]`) ?? doc.body;
  const { domToBlob } = await import('modern-screenshot');
  const view = doc.defaultView;
  const background = view ? view.getComputedStyle(doc.body).backgroundColor : '#ffffff';
  return domToBlob(node, {
    type: 'image/png',
    scale: view?.devicePixelRatio ?? 1,
    backgroundColor: background,
    // No web fonts here: the system fonts render the same without fetching anything.
    font: false,
    // The repeated draws work around Safari and Firefox decoding; Chromium needs one.
    drawImageInterval: 0,
    features: { copyScrollbar: false },
  });
}
