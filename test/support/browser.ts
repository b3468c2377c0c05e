/**
 * A headless Chromium for the page tests, driven by playwright-core (which downloads nothing): the
 * system's Chromium when the machine has one, else the one the `@sparticuz/chromium` package ships
 * (unpacked on first use), so `npm ci && npm test` needs no browser installed beforehand.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Quiet flags: no background traffic of the browser's own, so a test sees only the page's requests. */
const QUIET = [
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

async function browserBinary(): Promise<{ executablePath: string; args: string[] }> {
  if (existsSync(SYSTEM_CHROMIUM))
    return { executablePath: SYSTEM_CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] };
  const { default: packaged } = await import('@sparticuz/chromium');
  return { executablePath: await packaged.executablePath(), args: packaged.args };
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A browser with a fresh profile of its own (removed on close). */
export async function launchBrowser(viewport = { width: 1400, height: 850 }): Promise<TestBrowser> {
  const { executablePath, args } = await browserBinary();
  const profile = await mkdtemp(join(tmpdir(), 'topograph-chromium-'));
  // playwright passes the profile as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport,
    args: [...args, ...QUIET],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
