/** prunekit's version, from package.json (recorded in checkpoints and model files). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION = (require('../package.json') as { version: string }).version;
