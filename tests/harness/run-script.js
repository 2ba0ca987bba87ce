// One actions/github-script step, as the harness runs it: the step's script as an async
// function of (github, context, core, require), against the fake GitHub whose state is kept
// in a JSON file between steps and runs.
'use strict';

const fs = require('fs');
const { load, save } = require('../../.github/scripts/fake-github.js');

async function main() {
  const statePath = process.env.HARNESS_STATE;
  // The job's token scopes: a call its `permissions:` do not grant fails as GitHub fails it.
  const github = load(statePath, JSON.parse(process.env.HARNESS_SCOPES || 'null'));
  const context = JSON.parse(process.env.HARNESS_CONTEXT);
  const script = fs.readFileSync(process.env.HARNESS_SCRIPT, 'utf8');
  const output = (key, value) => {
    fs.appendFileSync(process.env.GITHUB_OUTPUT, `${key}<<HARNESS_EOF\n${value}\nHARNESS_EOF\n`);
  };
  const core = {
    setOutput: output,
    info: (m) => console.log(m),
    notice: (m) => console.log(`::notice::${m}`),
    warning: (m) => console.log(`::warning::${m}`),
    setFailed: (m) => { console.log(`::error::${m}`); process.exitCode = 1; },
  };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  try {
    await new AsyncFunction('github', 'context', 'core', 'require', script)(github, context, core, require);
  } catch (error) {
    console.log(`::error::${error.message}`);
    process.exitCode = 1;
  } finally {
    save(statePath, github);
  }
}

main();
