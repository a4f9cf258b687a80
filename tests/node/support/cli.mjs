// Runs the `coffer` CLI as a user would and checks its exit codes (CONTRACT.md "CLI"):
// 0 on success, 1 with `ERROR: <server message>` on stderr on a refusal, 2 on a usage error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cofferBin } from './server.mjs';

const run = promisify(execFile);

/** Runs `coffer ...args`; resolves to {stdout, stderr}, rejects on a non-zero exit. */
export const cli = (...args) => run(cofferBin(), args, { timeout: 30_000 });

/** Runs `coffer ...args` with `env` added to the environment (and `cwd`, default the current). */
export const cliWithEnv = (env, args, cwd = undefined) =>
  run(cofferBin(), args, { timeout: 30_000, env: { ...process.env, ...env }, cwd });

/** Runs a command and parses its stdout as JSON. */
export const cliJson = async (...args) => JSON.parse((await cli(...args)).stdout);

/** Runs a command that must fail; resolves to {code, stdout, stderr}. */
export async function cliFailure(...args) {
  let result;
  try {
    result = await cli(...args);
  } catch (err) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
  assert.fail(`coffer ${args.join(' ')} succeeded: ${result.stdout}`);
}

/** Asserts a refusal: exit 1 and `ERROR: <message>` on stderr matching `message`. */
export async function expectRefusal(args, message) {
  const r = await cliFailure(...args);
  assert.equal(r.code, 1, `exit code of coffer ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, /^ERROR: \S/, r.stderr);
  if (message) assert.match(r.stderr, message);
  return r;
}

/** Asserts a usage error: exit 2, CLI11's message on stderr, nothing on stdout. */
export async function expectUsageError(args, message) {
  const r = await cliFailure(...args);
  assert.equal(r.code, 2, `exit code of coffer ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  if (message) assert.match(r.stderr, message);
  return r;
}
