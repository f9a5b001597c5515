#!/usr/bin/env node
// Compile every tests/fixtures/*.sol with solc-js into tests/fixtures/<Name>.json:
//   { "abi": [...], "bytecode": "0x...", "deployedBytecode": "0x...", "solcVersion": "..." }
// <Name> is the file's base name; the file must define a contract of that name.
// Settings: optimizer on (200 runs), evmVersion "cancun".
//
// Usage (from any directory):
//   node contracts/scripts/compile-fixtures.js           write / refresh the JSON files
//   node contracts/scripts/compile-fixtures.js --check   exit 1 if any committed JSON is
//                                                        missing or differs from a fresh compile
'use strict';

const fs = require('fs');
const path = require('path');

const CONTRACTS_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(CONTRACTS_DIR, '..');
const FIXTURES_DIR = path.join(REPO_ROOT, 'tests', 'fixtures');
const NODE_MODULES = path.join(CONTRACTS_DIR, 'node_modules');

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: {
    '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
  },
};

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'usage: node contracts/scripts/compile-fixtures.js [--check]\n');
  process.exit(code);
}

function loadSolc() {
  let solc;
  const before = process.listeners('uncaughtException');
  try {
    solc = require('solc');
  } catch (e) {
    process.stderr.write(
      `compile-fixtures: cannot load solc-js (${e.message}).\n` +
      'Run contracts/scripts/install.sh first.\n');
    process.exit(2);
  }
  // Emscripten installs an uncaughtException handler that hides errors.
  process.removeAllListeners('uncaughtException');
  for (const l of before) process.on('uncaughtException', l);
  return solc;
}

// Imports are resolved relative to tests/fixtures/ first, then to
// contracts/node_modules/ (so `@openzeppelin/contracts/...` works as in forge).
function findImports(importPath) {
  const roots = [FIXTURES_DIR, NODE_MODULES];
  for (const root of roots) {
    const candidate = path.resolve(root, importPath);
    const rel = path.relative(root, candidate);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    }
  }
  return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
}

function hex(s) {
  if (typeof s !== 'string') throw new Error('missing bytecode in compiler output');
  return s.startsWith('0x') ? s : `0x${s}`;
}

function compileFixture(solc, file) {
  const name = path.basename(file, '.sol');
  const input = {
    language: 'Solidity',
    // Source unit name is the bare file name, so the output (incl. the metadata
    // hash in the bytecode) does not depend on where the repository is checked out.
    sources: { [file]: { content: fs.readFileSync(path.join(FIXTURES_DIR, file), 'utf8') } },
    settings: SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const diagnostics = output.errors || [];
  const errors = diagnostics.filter((e) => e.severity === 'error');
  for (const d of diagnostics) {
    if (d.severity !== 'error') process.stderr.write(`${file}: ${d.formattedMessage || d.message}\n`);
  }
  if (errors.length) {
    throw new Error(`compilation failed:\n${errors.map((e) => e.formattedMessage || e.message).join('\n')}`);
  }
  const contract = output.contracts && output.contracts[file] && output.contracts[file][name];
  if (!contract) {
    throw new Error(`no contract named "${name}" in ${file} (the file name must match the contract name)`);
  }
  const unlinked = /__\$[0-9a-fA-F]{34}\$__/;
  if (unlinked.test(contract.evm.bytecode.object)) {
    throw new Error(`${name} needs library linking, which fixtures do not support`);
  }
  const artifact = {
    abi: contract.abi,
    bytecode: hex(contract.evm.bytecode.object),
    deployedBytecode: hex(contract.evm.deployedBytecode.object),
    solcVersion: solcLongVersion(solc),
  };
  return { name, text: `${JSON.stringify(artifact, null, 2)}\n` };
}

// "0.8.37+commit.f401782d.Emscripten.clang" -> "0.8.37+commit.f401782d"
function solcLongVersion(solc) {
  const m = /^(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?\+commit\.[0-9a-f]+)/.exec(solc.version());
  return m ? m[1] : solc.version();
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) usage(0);
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length) {
    process.stderr.write(`compile-fixtures: unknown argument(s): ${unknown.join(' ')}\n`);
    usage(2);
  }
  const check = args.includes('--check');

  if (!fs.existsSync(FIXTURES_DIR)) {
    process.stderr.write(`compile-fixtures: ${FIXTURES_DIR} does not exist\n`);
    process.exit(2);
  }
  const sources = fs.readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.sol')).sort();
  if (!sources.length) {
    process.stdout.write(`compile-fixtures: no .sol files in ${FIXTURES_DIR}\n`);
    return;
  }

  const solc = loadSolc();
  const rel = (p) => path.relative(REPO_ROOT, p) || '.';
  const problems = [];
  for (const file of sources) {
    let result;
    try {
      result = compileFixture(solc, file);
    } catch (e) {
      problems.push(`${file}: ${e.message}`);
      continue;
    }
    const jsonPath = path.join(FIXTURES_DIR, `${result.name}.json`);
    const current = fs.existsSync(jsonPath) ? fs.readFileSync(jsonPath, 'utf8') : null;
    if (check) {
      if (current === null) problems.push(`${rel(jsonPath)} is missing`);
      else if (current !== result.text) problems.push(`${rel(jsonPath)} differs from a fresh compile of ${file}`);
      else process.stdout.write(`ok       ${rel(jsonPath)}\n`);
    } else if (current === result.text) {
      process.stdout.write(`unchanged ${rel(jsonPath)}\n`);
    } else {
      fs.writeFileSync(jsonPath, result.text);
      process.stdout.write(`wrote     ${rel(jsonPath)}\n`);
    }
  }

  if (problems.length) {
    process.stderr.write(`compile-fixtures: ${problems.length} problem(s) (solc ${solcLongVersion(solc)}):\n`);
    for (const p of problems) process.stderr.write(`  - ${p}\n`);
    if (check) {
      process.stderr.write(
        'Fixture JSON is out of date. Regenerate it with `node contracts/scripts/compile-fixtures.js` ' +
        'and commit the result.\n');
    }
    process.exit(1);
  }
}

main();
