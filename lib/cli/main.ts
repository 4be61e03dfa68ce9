#!/usr/bin/env node
/**
 * The prunekit command line. For now it has one command, `selfcheck`, which
 * checks every native kernel against a plain-JavaScript reference on random
 * data and prints a short benchmark; `npm start` runs it.
 */
import { Command, CommanderError } from 'commander';
import { PrunekitError } from '../errors';
import { runSelfCheck } from './selfcheck';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('prunekit')
    .description('Train, prune and Deep-Compress small neural networks')
    .version(version)
    .exitOverride();
  program
    .command('selfcheck')
    .description('check the native kernels against JavaScript references and print a short benchmark')
    .option('--json', 'print one JSON object instead of tables')
    .option('--quick', 'skip the benchmark')
    .addHelpText('after', '\nExamples:\n  $ prunekit selfcheck\n  $ prunekit selfcheck --quick --json')
    .action(async (options: { json?: boolean; quick?: boolean }) => {
      const ok = await runSelfCheck({ json: Boolean(options.json), quick: Boolean(options.quick) });
      if (!ok) process.exitCode = 2;
    });
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 1;
      return;
    }
    if (error instanceof PrunekitError) {
      process.stderr.write(`prunekit: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

if (require.main === module) void main(process.argv);
