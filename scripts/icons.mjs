#!/usr/bin/env node
// `npm run icons`: renders build/icon.svg into every icon the packages and the tray need, with Debian's
// Chromium (playwright-core), and writes the .ico and .icns containers itself. The outputs are committed;
// run this again only after changing the SVG.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { root } from './lib/build.mjs';

const SVG = path.join(root, 'build', 'icon.svg');
const BUILD = path.join(root, 'build');
const TRAY = path.join(root, 'electron', 'main', 'assets');
const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// icns element types holding PNG data, by pixel size (Apple's "ic07"… types; ic11-ic14 are the @2x ones).
const ICNS_TYPES = [
  ['ic11', 32],
  ['ic12', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
];
const TRAY_DOTS = { recording: '#e5484d', stopped: '#8b949e' };

/**
 * Draws the SVG at `size` px on a canvas in the page, optionally with a status dot in the bottom-right
 * corner, and returns its PNG bytes and its RGBA pixels (not premultiplied).
 */
async function render(page, svg, size, dot = null) {
  const { png, rgba } = await page.evaluate(
    async ({ svg, size, dot }) => {
      const img = new Image();
      img.src = `data:image/svg+xml;base64,${btoa(svg)}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = size;
      canvas.height = size;
      const ctx = canvas.getContext('2d');
      // Chromium rasterises an SVG image at the size it is drawn, so small sizes stay sharp.
      ctx.drawImage(img, 0, 0, size, size);
      if (dot) {
        const r = size * 0.22;
        const c = size - r - size * 0.02;
        ctx.beginPath();
        ctx.arc(c, c, r + Math.max(1, size * 0.05), 0, 2 * Math.PI);
        ctx.fillStyle = '#ffffff';
        ctx.fill();
        ctx.beginPath();
        ctx.arc(c, c, r, 0, 2 * Math.PI);
        ctx.fillStyle = dot;
        ctx.fill();
      }
      const data = ctx.getImageData(0, 0, size, size).data;
      return { png: canvas.toDataURL('image/png').split(',')[1], rgba: Array.from(data) };
    },
    { svg, size, dot },
  );
  return { png: Buffer.from(png, 'base64'), rgba: Uint8Array.from(rgba), size };
}

/** A 32-bit BMP (DIB) icon image with its AND mask, as .ico files hold for small sizes. */
function dib({ rgba, size }) {
  const maskStride = Math.ceil(size / 32) * 4;
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // XOR image + AND mask
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(size * size * 4 + maskStride * size, 20);
  const pixels = Buffer.alloc(size * size * 4);
  const mask = Buffer.alloc(maskStride * size);
  for (let y = 0; y < size; y++) {
    const row = size - 1 - y; // bottom-up
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const o = (row * size + x) * 4;
      pixels[o] = rgba[i + 2];
      pixels[o + 1] = rgba[i + 1];
      pixels[o + 2] = rgba[i];
      pixels[o + 3] = rgba[i + 3];
      if (rgba[i + 3] === 0) mask[row * maskStride + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  return Buffer.concat([header, pixels, mask]);
}

/** An .ico file: BMP entries below 256 px (what every Windows tool reads), a PNG entry at 256 px. */
function ico(images) {
  const head = Buffer.alloc(6);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(images.length, 4);
  const bodies = images.map((im) => (im.size >= 256 ? im.png : dib(im)));
  const dir = Buffer.alloc(16 * images.length);
  let offset = 6 + dir.length;
  images.forEach((im, n) => {
    const e = n * 16;
    dir.writeUInt8(im.size >= 256 ? 0 : im.size, e); // 0 means 256
    dir.writeUInt8(im.size >= 256 ? 0 : im.size, e + 1);
    dir.writeUInt16LE(1, e + 4); // colour planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(bodies[n].length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += bodies[n].length;
  });
  return Buffer.concat([head, dir, ...bodies]);
}

/** An .icns file of PNG elements: 'icns', total length, then (type, length incl. 8-byte header, data). */
function icns(elements) {
  const parts = elements.map(([type, png]) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'ascii');
    h.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([h, png]);
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'ascii');
  h.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([h, body]);
}

const svg = readFileSync(SVG, 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  const sizes = [...new Set([...LINUX_SIZES, ...ICO_SIZES, ...ICNS_TYPES.map(([, s]) => s), 1024])];
  const bySize = new Map();
  for (const size of sizes) bySize.set(size, await render(page, svg, size));

  mkdirSync(path.join(BUILD, 'icons'), { recursive: true });
  writeFileSync(path.join(BUILD, 'icon.png'), bySize.get(1024).png);
  for (const size of LINUX_SIZES)
    writeFileSync(path.join(BUILD, 'icons', `${size}x${size}.png`), bySize.get(size).png);
  writeFileSync(path.join(BUILD, 'icon.ico'), ico(ICO_SIZES.map((s) => bySize.get(s))));
  writeFileSync(path.join(BUILD, 'icon.icns'), icns(ICNS_TYPES.map(([t, s]) => [t, bySize.get(s).png])));

  mkdirSync(TRAY, { recursive: true });
  for (const [state, color] of Object.entries(TRAY_DOTS)) {
    for (const size of [16, 32]) {
      const { png } = await render(page, svg, size, color);
      writeFileSync(path.join(TRAY, `tray-${state}-${size}.png`), png);
    }
  }
  console.log(`icons written to ${path.relative(root, BUILD)}/ and ${path.relative(root, TRAY)}/`);
} finally {
  await browser.close();
}
