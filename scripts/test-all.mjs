#!/usr/bin/env node
// Runs every check and test suite of the monorepo and ends with one line: "N passed, N failed".
// Checks (lint, typecheck) count as one test each; test suites count their vitest tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const reports = mkdtempSync(path.join(tmpdir(), 'portcullis-tests-'));
let passed = 0;
let failed = 0;
const failures = [];
const failedTests = [];

function run(label, cmd, args, cwd = root) {
  process.stdout.write(`\n=== ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit', env: process.env });
  return r.status === 0;
}

function check(label, cmd, args) {
  if (run(label, cmd, args)) passed++;
  else {
    failed++;
    failures.push(label);
  }
}

function suite(workspace) {
  const report = path.join(reports, `${workspace}.json`);
  const ok = run(
    `tests ${workspace}`,
    'pnpm',
    ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    path.join(root, workspace),
  );
  let counted = false;
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    if (r.numFailedTests > 0) {
      failures.push(`${workspace} (${r.numFailedTests} failed)`);
      // Name each failed test with its file and first message line, so the tail of a CI log says what broke.
      for (const file of r.testResults ?? []) {
        for (const t of file.assertionResults ?? []) {
          if (t.status !== 'failed') continue;
          const why = stripVTControlCharacters(String(t.failureMessages?.[0] ?? ''))
            .split('\n')[0]
            .slice(0, 300);
          failedTests.push(`${path.relative(root, file.name)} > ${t.fullName}\n    ${why}`);
        }
      }
    }
    counted = true;
    // A suite that crashed outside its tests (setup, teardown, load error) still fails the run.
    if (!ok && r.numFailedTests === 0) {
      failed++;
      failures.push(`${workspace} (suite error)`);
    }
  } catch {
    if (!counted) {
      failed++;
      failures.push(`${workspace} (no report)`);
    }
  }
}

const build = run('build', 'pnpm', ['-r', '--workspace-concurrency=1', 'build']);
if (!build) {
  failed++;
  failures.push('build');
} else {
  passed++;
  check('lint', 'pnpm', ['exec', 'biome', 'check', '.']);
  check('typecheck', 'pnpm', ['-r', 'typecheck']);
  for (const ws of ['shared', 'testing', 'gateway', 'e2e', 'control-plane', 'dashboard']) suite(ws);
}
rmSync(reports, { recursive: true, force: true });
if (failedTests.length)
  process.stdout.write(`\nFailed tests:\n${failedTests.map((t) => `  ${t}`).join('\n')}\n`);
if (failures.length) process.stdout.write(`\nFailed: ${failures.join(', ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
