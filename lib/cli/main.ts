#!/usr/bin/env node
/**
 * The prunekit command line. Exit codes: 0 success; 1 a usage mistake (an
 * unknown option, a bad flag value or recipe); 2 a data or model problem (a
 * missing or corrupt file, a loss that became NaN); 130 interrupted; 141 a
 * reader closed the pipe early.
 * A user's mistake prints one line on stderr, never a stack trace.
 */
import { Command, CommanderError, Option } from 'commander';
import { ArgumentRangeError, ArgumentTypeError, PrunekitError } from '../errors';
import { formatInfo, evalCommand, infoCommand } from './inspect';
import { CommonFlags, addOptions } from './options';
import { InterruptedError } from './outputs';
import { UsageError } from './recipe';
import { runCommand } from './run';
import { runSelfCheck } from './selfcheck';
import { sensitivityCommand } from './sensitivity';
import { compressCommand, pruneCommand, trainCommand } from './stages';
import { toolVersion } from './table';

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

export function buildProgram(): Command {
  const program = new Command('prunekit')
    .description('Train, prune and Deep-Compress small neural networks into small, fast model files')
    .version(toolVersion())
    .exitOverride()
    // A mistake commander catches reads like ours: one line starting with 'prunekit:' (its suggestion joins the line).
    .configureOutput({ outputError: (text, write) => write(`prunekit: ${text.replace(/^error: /, '').replace(/\n(?=.)/g, ' ')}`) })
    .addHelpText('after', examples('prunekit run', 'prunekit run --data fashion --arch lenet-5 --json', 'prunekit info model.prk'));

  addOptions(program.command('run'), ['data', 'arch', 'method', 'sparsity', 'schedule', 'bits', 'epochs', 'lr', 'seed', 'out', 'report', 'recipe'], { data: 'mnist', out: 'model.prk' })
    .description('train a baseline, prune it with fine-tuning, share weights, Huffman-code it; write the model file and the report')
    .addOption(new Option('--no-report', 'do not write the HTML report (written to report.html by default)'))
    .addHelpText('after', examples(
      'prunekit run                                   # LeNet-300-100 on the embedded MNIST',
      'prunekit run --data fashion --sparsity 0.92 --out fashion.prk --report fashion.html',
      'prunekit run --arch lenet-5 --bits conv1=8,conv2=8,default=5',
      'prunekit run --recipe docs/recipes/lenet-300-100.yaml --json',
    ))
    .action(async (flags: CommonFlags) => {
      const result = await runCommand(flags);
      if (flags.json) printJson(result);
    });

  addOptions(program.command('train'), ['data', 'arch', 'epochs', 'lr', 'seed', 'out', 'recipe'], { data: 'mnist', out: 'baseline.safetensors' })
    .description('train a dense baseline and save it as a safetensors checkpoint')
    .addHelpText('after', examples('prunekit train --epochs 15 --out baseline.safetensors', 'prunekit train --data csv:iris.csv --arch mlp:4-16-3 --json'))
    .action(async (flags: CommonFlags) => {
      const result = await trainCommand(flags);
      if (flags.json) printJson(result);
    });

  addOptions(program.command('prune').argument('<checkpoint>', 'a safetensors checkpoint from prunekit train'), ['data', 'method', 'sparsity', 'schedule', 'epochs', 'lr', 'seed', 'out', 'recipe'], { data: "the checkpoint's", out: 'pruned.safetensors' })
    .description('prune a checkpoint with fine-tuning and save the pruned checkpoint (masks included)')
    .addHelpText('after', `\nSettings not given come from the recipe the checkpoint recorded (the defaults shown are a new recipe's).\n${examples('prunekit prune baseline.safetensors --sparsity 0.92 --out pruned.safetensors', 'prunekit prune baseline.safetensors --method nm:2:4 --schedule one-shot')}`)
    .action(async (checkpoint: string, flags: CommonFlags) => {
      const result = await pruneCommand(checkpoint, flags);
      if (flags.json) printJson(result);
    });

  addOptions(program.command('compress').argument('<checkpoint>', 'a (pruned) safetensors checkpoint'), ['data', 'bits', 'epochs', 'lr', 'seed', 'out', 'recipe'], { data: "the checkpoint's", out: 'model.prk' })
    .description('share weights (k-means), fine-tune the centroids, Huffman-code and write the model file')
    .addHelpText('after', `\nSettings not given come from the recipe the checkpoint recorded (the defaults shown are a new recipe's).\n${examples('prunekit compress pruned.safetensors --bits 5 --out model.prk')}`)
    .action(async (checkpoint: string, flags: CommonFlags) => {
      const result = await compressCommand(checkpoint, flags);
      if (flags.json) printJson(result);
    });

  program.command('eval').argument('<model>', 'a model file or a safetensors checkpoint')
    .description('accuracy on a dataset\'s test split (by default the dataset recorded in the file)')
    .addOption(new Option('--data <spec>', 'dataset: mnist, fashion, idx:DIR or csv:FILE (default: the one the file records, or mnist)'))
    .option('--json', 'print one JSON object')
    .addHelpText('after', examples('prunekit eval model.prk', 'prunekit eval pruned.safetensors --data mnist --json'))
    .action((model: string, flags: { data?: string; json?: boolean }) => {
      const result = evalCommand(model, flags);
      if (flags.json) printJson({ accuracy: result.accuracy, samples: result.samples });
      else process.stdout.write(`${model}: accuracy ${(result.accuracy * 100).toFixed(2)}% on ${result.samples} test samples of ${result.dataset} (loss ${result.loss.toFixed(4)})\n`);
    });

  program.command('info').argument('<model>', 'a model file or a safetensors checkpoint')
    .description('layers, shapes, sparsity, bits and bytes per tensor')
    .option('--json', 'print one JSON object')
    .addHelpText('after', examples('prunekit info model.prk', 'prunekit info model.prk --json'))
    .action((model: string, flags: { json?: boolean }) => {
      const info = infoCommand(model);
      if (flags.json) printJson({ layers: info.layers.map(({ name, shape, nonzero, bits }) => ({ name, shape, nonzero, bits })), fileBytes: info.fileBytes });
      else process.stdout.write(formatInfo(model, info));
    });

  addOptions(program.command('sensitivity').argument('[checkpoint]', 'a trained checkpoint (default: train a baseline first)'), ['data', 'arch', 'sparsity', 'epochs', 'seed', 'report', 'recipe'], { data: "the checkpoint's, or mnist" })
    .description('per-layer sensitivity curves, and per-layer sparsities that meet --sparsity overall')
    .addHelpText('after', examples('prunekit sensitivity baseline.safetensors --sparsity 0.92', 'prunekit sensitivity --report sensitivity.html --json'))
    .action(async (checkpoint: string | undefined, flags: CommonFlags) => {
      const result = await sensitivityCommand(checkpoint, flags);
      if (flags.json) printJson(result);
    });

  program.command('selfcheck')
    .description('check the native kernels against JavaScript references and print a short benchmark')
    .option('--json', 'print one JSON object instead of tables')
    .option('--quick', 'skip the benchmark')
    .addHelpText('after', examples('prunekit selfcheck', 'prunekit selfcheck --quick --json'))
    .action(async (options: { json?: boolean; quick?: boolean }) => {
      const ok = await runSelfCheck({ json: Boolean(options.json), quick: Boolean(options.quick) });
      if (!ok) process.exitCode = 2;
    });
  return program;
}

/** The exit code for an error, and whether it is the user's (one line) or ours (with a stack). */
export function exitCodeFor(error: unknown): { code: number; usersMistake: boolean } {
  if (error instanceof InterruptedError) return { code: 130, usersMistake: true };
  if (error instanceof UsageError || error instanceof ArgumentRangeError || error instanceof ArgumentTypeError) return { code: 1, usersMistake: true };
  if (error instanceof PrunekitError) return { code: 2, usersMistake: true };
  return { code: 70, usersMistake: false };
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed its one-line message (or the help / version).
      process.exitCode = error.exitCode === 0 ? 0 : 1;
      return;
    }
    const { code, usersMistake } = exitCodeFor(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(usersMistake ? `prunekit: ${message.split('\n')[0]}\n` : `prunekit: internal error: ${(error as Error)?.stack ?? message}\n`);
    process.exitCode = code;
  }
}

/**
 * A reader that stops early (`prunekit --help | head -1`) ends the command
 * quietly with 141, as SIGPIPE ends a shell tool: a script with pipefail
 * sees that the command did not finish (outputs are written whole or not at all).
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(141);
  });
}

if (require.main === module) {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  void main(process.argv);
}
