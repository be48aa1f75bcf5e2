declare const __APP_VERSION__: string | undefined;

/** The app's version, set by the build (package.json); "0.0.0-dev" when run from the sources. */
export const APP_VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';
