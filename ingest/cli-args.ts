/** The arguments of the import commands (`npm run import`, `npm run import:catalog`): options, then files. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `options` and at least one file; prints `usage` and exits (0 for `--help`, 2 for a mistake
 * or no file) otherwise.
 */
export function fileArgsOrExit<O extends Options>(usage: string, options: O) {
  try {
    const args = parseArgs({ allowPositionals: true, options: { ...options, help: { type: 'boolean' as const } } });
    const help = (args.values as { help?: boolean }).help === true;
    if (help || args.positionals.length === 0) {
      console.error(usage);
      process.exit(help ? 0 : 2);
    }
    return args;
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}
