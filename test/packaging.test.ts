/**
 * The electron-builder configuration, loaded and schema-checked the way electron-builder itself does, and
 * `npm run dist` where the Electron runtime is missing. No package is built here (that needs the runtime).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Configuration } from 'electron-builder';
import { describe, expect, it } from 'vitest';
import viteConfig from '../electron.vite.config';
import { appPaths } from '../electron/main/app-paths';

const root = resolve(import.meta.dirname, '..');
const CONFIG_FILE = 'build/electron-builder.yml';
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  productName: string;
  scripts: Record<string, string>;
};

interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<Configuration>;
  validateConfiguration(config: Configuration, logger: unknown): Promise<void>;
}

/** electron-builder's own loader (the same merge with package.json and the same JSON-schema check). */
async function loadBuilderConfig(): Promise<Configuration> {
  // Part of electron-builder (app-builder-lib is its engine); not re-exported by the package itself.
  const mod = (await import('app-builder-lib/out/util/config/config.js')) as unknown as ConfigModule;
  const { DebugLogger } = (await import('builder-util')) as unknown as {
    DebugLogger: new (enabled: boolean) => unknown;
  };
  const config = await mod.getConfig(root, CONFIG_FILE, null);
  await mod.validateConfiguration(config, new DebugLogger(false));
  return config;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString('ascii'), file).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** The image sizes an .ico file declares (0 in the directory means 256). */
function icoSizes(file: string): number[] {
  const b = readFileSync(file);
  expect(b.readUInt16LE(2), 'ico type').toBe(1);
  return Array.from({ length: b.readUInt16LE(4) }, (_, i) => b.readUInt8(6 + i * 16) || 256);
}

/** The element types of an .icns file, checking that the lengths add up. */
function icnsTypes(file: string): string[] {
  const b = readFileSync(file);
  expect(b.subarray(0, 4).toString('ascii')).toBe('icns');
  expect(b.readUInt32BE(4)).toBe(b.length);
  const types: string[] = [];
  for (let at = 8; at < b.length; at += b.readUInt32BE(at + 4)) types.push(b.subarray(at, at + 4).toString());
  return types;
}

function targetNames(target: unknown): string[] {
  const list = Array.isArray(target) ? target : [target];
  return list.map((t) => (typeof t === 'string' ? t : (t as { target: string }).target));
}

/** Every file under `dir`, relative to the project root, with forward slashes. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .map((f) => `${dir}/${f.split('\\').join('/')}`)
    .filter((f) => statSync(join(root, f)).isFile());
}

describe('electron-builder configuration', () => {
  it('passes electron-builder’s schema and names the app, targets, files, asar and fuses', async () => {
    const config = await loadBuilderConfig();
    expect(config.appId).toBe('org.dnswitness.app');
    expect(config.productName).toBe('DNS Witness');
    expect(config.productName).toBe(pkg.productName);
    expect(config.asar).toBe(true);
    expect(config.directories).toMatchObject({ output: 'dist', buildResources: 'build' });
    expect(targetNames(config.linux?.target)).toEqual(['AppImage', 'deb']);
    expect(targetNames(config.mac?.target)).toEqual(['dmg']);
    expect(targetNames(config.win?.target)).toEqual(['nsis']);
    expect(config.linux?.category).toBe('Network');
    expect(config.linux?.desktop?.entry?.['Categories']).toMatch(/^Network;/);
    // The loader wraps the list in one file set; only the built app and package.json go in.
    expect(config.files).toEqual([{ filter: ['out/**', '!out/.build-stamp', 'package.json'] }]);
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(pkg.scripts['dist']).toBe('node scripts/dist.mjs');
    expect(readFileSync(join(root, 'scripts/dist.mjs'), 'utf8')).toContain(CONFIG_FILE);
  });

  it('names only icons that exist, at the sizes each platform wants', async () => {
    const config = await loadBuilderConfig();
    const named = [
      config.linux?.icon,
      config.mac?.icon,
      config.win?.icon,
      config.nsis?.installerIcon,
      config.nsis?.uninstallerIcon,
    ];
    for (const icon of named) {
      expect(typeof icon).toBe('string');
      expect(existsSync(join(root, icon as string)), String(icon)).toBe(true);
    }
    const linuxIcons = readdirSync(join(root, config.linux?.icon as string));
    for (const name of linuxIcons) {
      const m = /^(\d+)x(\d+)\.png$/.exec(name);
      expect(m, name).not.toBeNull();
      expect(pngSize(join(root, config.linux?.icon as string, name))).toEqual({
        width: Number(m?.[1]),
        height: Number(m?.[2]),
      });
    }
    expect(linuxIcons).toContain('512x512.png');
    expect(pngSize(join(root, 'build/icon.png'))).toEqual({ width: 1024, height: 1024 });
    expect(icoSizes(join(root, config.win?.icon as string))).toEqual([16, 24, 32, 48, 64, 128, 256]);
    expect(icnsTypes(join(root, config.mac?.icon as string))).toEqual(
      expect.arrayContaining(['ic07', 'ic08', 'ic09', 'ic10']),
    );
    // The one source every icon is rendered from (scripts/icons.mjs).
    expect(readFileSync(join(root, 'build/icon.svg'), 'utf8')).toContain('<svg');
  });

  it('packs what electron-vite builds: package.json main is the built main entry, and out/ holds the app', () => {
    const main = viteConfig.main?.build;
    const input = main?.rollupOptions?.input as Record<string, string>;
    expect(input['index']).toBe(join(root, 'electron/main/index.ts'));
    expect(pkg.main).toBe(`${main?.outDir}/index.js`);
    // Global setup built out/; these are the files the packaged app loads (see electron/main/app-paths.ts).
    const built = filesUnder('out');
    for (const file of [pkg.main, 'out/preload/index.cjs', 'out/renderer/index.html'])
      expect(built, file).toContain(file);
    const outDirs = [viteConfig.main?.build?.outDir, viteConfig.preload?.build?.outDir];
    const rendererOut = viteConfig.renderer?.build?.outDir as string;
    outDirs.push(isAbsolute(rendererOut) ? relative(root, rendererOut) : rendererOut);
    for (const dir of outDirs) expect(dir, 'every build lands under out/').toMatch(/^out\//);
    // A sandboxed preload cannot load packages: everything but electron must be bundled into it.
    const preload = readFileSync(join(root, 'out/preload/index.cjs'), 'utf8');
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
  });

  it('builds what appPaths() points at: the renderer and the preload script', () => {
    const paths = appPaths(root, '/tmp/unused');
    expect(existsSync(join(paths.renderer, 'index.html'))).toBe(true);
    expect(existsSync(paths.preload)).toBe(true);
  });

  it('builds a main script that reads files only from out/ (the tray icons), never from the source tree', () => {
    const main = readFileSync(join(root, pkg.main), 'utf8');
    const relativeToMain = [...main.matchAll(/join(?:\$\d+)?\(import\.meta\.dirname, "([^"]+)"\)/g)].map(
      (m) => m[1] as string,
    );
    expect(
      relativeToMain.filter((p) => /tray-(recording|stopped)-(16|32)-[\w-]+\.png$/.test(p)),
    ).toHaveLength(4);
    for (const file of relativeToMain) {
      const full = resolve(root, 'out/main', file);
      expect(relative(join(root, 'out'), full), file).not.toMatch(/^\.\./);
      expect(existsSync(full), file).toBe(true);
    }
    // The renderer and preload are found through app.getAppPath() (electron/main/app-paths.ts).
    expect(main).not.toMatch(/import\.meta\.dirname, "\.\.\//);
    expect(main).toMatch(/getAppPath\(\)/);
  });
});

describe('npm run dist', () => {
  it('stops with one clear line and exit code 1 where the Electron runtime is missing', () => {
    const env = { ...process.env };
    delete env['ELECTRON_OVERRIDE_DIST_PATH'];
    if (existsSync(join(root, 'node_modules/electron/path.txt'))) {
      console.log('[test/packaging.test.ts] skipped: the Electron runtime is installed, so dist would build');
      return;
    }
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(root, 'scripts/dist.mjs')], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    expect(r.status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^npm run dist: cannot package DNS Witness because the Electron runtime/);
    // It stops before building anything.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
