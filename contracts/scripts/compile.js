#!/usr/bin/env node
// Compile with solc-js (the pinned npm `solc`, offline) into committed JSON artifacts:
//   contracts/src/<Name>.sol   -> contracts/artifacts/<Name>.json  (the system contracts)
//   tests/fixtures/<Name>.sol  -> tests/fixtures/<Name>.json       (end-to-end test fixtures)
// Each artifact: { "abi": [...], "bytecode": "0x...", "deployedBytecode": "0x...", "solcVersion": "..." }.
// <Name> is the file's base name; the file must define a contract of that name.
// Settings: optimizer on (200 runs), evmVersion "cancun" (the same as foundry.toml).
// Source unit names are relative to their root, so the bytecode (its metadata hash)
// does not depend on where the repository is checked out.
//
// Usage (from any directory):
//   node contracts/scripts/compile.js           write / refresh the JSON files
//   node contracts/scripts/compile.js --check   exit 1 if any committed JSON is missing or
//                                               differs from a fresh compile
'use strict';

const fs = require('fs');
const path = require('path');

const CONTRACTS_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(CONTRACTS_DIR, '..');
const FIXTURES_DIR = path.join(REPO_ROOT, 'tests', 'fixtures');
const SRC_DIR = path.join(CONTRACTS_DIR, 'src');
const ARTIFACTS_DIR = path.join(CONTRACTS_DIR, 'artifacts');

// Each set: where its sources are, the source unit prefix, where its JSON goes.
const SETS = [
  { label: 'system contracts', root: CONTRACTS_DIR, dir: SRC_DIR, prefix: 'src/', out: ARTIFACTS_DIR },
  { label: 'test fixtures', root: FIXTURES_DIR, dir: FIXTURES_DIR, prefix: '', out: FIXTURES_DIR },
];
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
    'usage: node contracts/scripts/compile.js [--check]\n');
  process.exit(code);
}

function loadSolc() {
  let solc;
  const before = process.listeners('uncaughtException');
  try {
    solc = require('solc');
  } catch (e) {
    process.stderr.write(
      `compile: cannot load solc-js (${e.message}).\n` +
      'Run contracts/scripts/install.sh first.\n');
    process.exit(2);
  }
  // Emscripten installs an uncaughtException handler that hides errors.
  process.removeAllListeners('uncaughtException');
  for (const l of before) process.on('uncaughtException', l);
  return solc;
}

// Imports are resolved relative to the set's root first, then to contracts/node_modules/
// (so `@openzeppelin/contracts/...` works as in forge).
function importer(setRoot) {
  return function findImports(importPath) {
    const roots = [setRoot, NODE_MODULES];
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      const rel = path.relative(root, candidate);
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

function hex(s) {
  if (typeof s !== 'string') throw new Error('missing bytecode in compiler output');
  return s.startsWith('0x') ? s : `0x${s}`;
}

// Compile every file of a set in one solc run; returns [{ name, file, text }].
function compileSet(solc, set, files) {
  const sources = {};
  for (const file of files) {
    sources[set.prefix + file] = { content: fs.readFileSync(path.join(set.dir, file), 'utf8') };
  }
  const input = { language: 'Solidity', sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: importer(set.root) }));
  const diagnostics = output.errors || [];
  const errors = diagnostics.filter((e) => e.severity === 'error');
  for (const d of diagnostics) {
    if (d.severity !== 'error') process.stderr.write(`${d.formattedMessage || d.message}\n`);
  }
  if (errors.length) {
    throw new Error(`compilation failed:\n${errors.map((e) => e.formattedMessage || e.message).join('\n')}`);
  }
  const unlinked = /__\$[0-9a-fA-F]{34}\$__/;
  return files.map((file) => {
    const name = path.basename(file, '.sol');
    const unit = set.prefix + file;
    const contract = output.contracts && output.contracts[unit] && output.contracts[unit][name];
    if (!contract) {
      throw new Error(`no contract named "${name}" in ${unit} (the file name must match the contract name)`);
    }
    if (unlinked.test(contract.evm.bytecode.object)) {
      throw new Error(`${name} needs library linking, which is not supported (use internal libraries)`);
    }
    const artifact = {
      abi: contract.abi,
      bytecode: hex(contract.evm.bytecode.object),
      deployedBytecode: hex(contract.evm.deployedBytecode.object),
      solcVersion: solcLongVersion(solc),
    };
    return { name, file: unit, text: `${JSON.stringify(artifact, null, 2)}\n` };
  });
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
    process.stderr.write(`compile: unknown argument(s): ${unknown.join(' ')}\n`);
    usage(2);
  }
  const check = args.includes('--check');

  const solc = loadSolc();
  const rel = (p) => path.relative(REPO_ROOT, p) || '.';
  const problems = [];
  for (const set of SETS) {
    const files = fs.readdirSync(set.dir).filter((f) => f.endsWith('.sol')).sort();
    if (!files.length) continue;
    let results;
    try {
      results = compileSet(solc, set, files);
    } catch (e) {
      problems.push(`${set.label}: ${e.message}`);
      continue;
    }
    fs.mkdirSync(set.out, { recursive: true });
    for (const result of results) {
      const jsonPath = path.join(set.out, `${result.name}.json`);
      const current = fs.existsSync(jsonPath) ? fs.readFileSync(jsonPath, 'utf8') : null;
      if (check) {
        if (current === null) problems.push(`${rel(jsonPath)} is missing`);
        else if (current !== result.text) problems.push(`${rel(jsonPath)} differs from a fresh compile of ${result.file}`);
        else process.stdout.write(`ok       ${rel(jsonPath)}\n`);
      } else if (current === result.text) {
        process.stdout.write(`unchanged ${rel(jsonPath)}\n`);
      } else {
        fs.writeFileSync(jsonPath, result.text);
        process.stdout.write(`wrote     ${rel(jsonPath)}\n`);
      }
    }
  }

  if (problems.length) {
    process.stderr.write(`compile: ${problems.length} problem(s) (solc ${solcLongVersion(solc)}):\n`);
    for (const p of problems) process.stderr.write(`  - ${p}\n`);
    if (check) {
      process.stderr.write(
        'Compiled artifacts are out of date. Regenerate them with `node contracts/scripts/compile.js` ' +
        'and commit the result.\n');
    }
    process.exit(1);
  }
}

main();
