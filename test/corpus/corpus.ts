/**
 * The external trace corpus this run checks Topograph against (`npm run test:corpus -- DIR`, which
 * sets TOPOGRAPH_CORPUS): real files from other projects, beside the repository's own fixtures.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = process.env.TOPOGRAPH_CORPUS;
if (!dir) throw new Error('TOPOGRAPH_CORPUS is not set: run `npm run test:corpus -- DIR` with a corpus folder');

export const CORPUS = pathToFileURL(`${resolve(dir)}/`);
export const corpusPath = (path: string): string => fileURLToPath(new URL(path, CORPUS));
export const corpusText = (path: string): string => readFileSync(new URL(path, CORPUS), 'utf8');
export const corpusJson = (path: string): unknown => JSON.parse(corpusText(path));
