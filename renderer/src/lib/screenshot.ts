/** The element a dashboard PNG shows; the App puts this attribute on its root. */
export const EVIDENCE_ROOT_ATTR = 'data-evidence-root';

/**
 * Writes the live state of the form controls under `root` into their attributes (the selected option, a
 * ticked box), which is all a DOM clone carries: without it the PNG showed each select's first option
 * ("1 s") beside a sentence saying "within 3 s". Returns the function that puts the attributes back.
 */
export function pinFormState(root: HTMLElement): () => void {
  const undo: (() => void)[] = [];
  const set = (el: Element, name: string, on: boolean): void => {
    if (el.hasAttribute(name) === on) return;
    el.toggleAttribute(name, on);
    undo.push(() => el.toggleAttribute(name, !on));
  };
  for (const option of root.querySelectorAll('option')) set(option, 'selected', option.selected);
  for (const input of root.querySelectorAll('input')) {
    if (input.type === 'checkbox' || input.type === 'radio') set(input, 'checked', input.checked);
  }
  return () => {
    for (const u of undo.reverse()) u();
  };
}

/** Hides scrollbars in the copy: the live page draws thin overlay ones or none, the copy would draw wide ones. */
const NO_SCROLLBARS = '*{scrollbar-width:none!important}*::-webkit-scrollbar{display:none!important}';

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
  const restore = pinFormState(node);
  try {
    return await domToBlob(node, {
      type: 'image/png',
      scale: view?.devicePixelRatio ?? 1,
      backgroundColor: background,
      // No web fonts here: the system fonts render the same without fetching anything.
      font: false,
      // The repeated draws work around Safari and Firefox decoding; Chromium needs one.
      drawImageInterval: 0,
      features: { copyScrollbar: false },
      onCloneNode: (clone) => {
        const style = doc.createElement('style');
        style.textContent = NO_SCROLLBARS;
        clone.appendChild(style);
      },
    });
  } finally {
    restore();
  }
}
