/**
 * The Python and Java bindings generate from the compiled assembly (.jsii, written by the build's
 * compile step, which runs before the tests, or here when it is missing or older than src/) with the package names .projenrc.ts gives, name every
 * public type of the API, and the Python sources are valid Python. Generation only (`--code-only`):
 * packaging needs PyPI and Maven Central, which build machines do not reach.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const ASSEMBLY = path.join(ROOT, '.jsii');

interface JsiiType { kind: 'class' | 'interface' | 'enum'; name: string; datatype?: boolean; properties?: Array<{ name: string }>; members?: Array<{ name: string }> }

let outdir: string;
let assembly: { targets: Record<string, any>; types: Record<string, JsiiType> };

/** The newest modification time of the sources jsii compiles. */
function newestSource(dir = path.join(ROOT, 'src')): number {
  return Math.max(...fs.readdirSync(dir, { withFileTypes: true }).map(entry => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? newestSource(file) : fs.statSync(file).mtimeMs;
  }));
}

beforeAll(() => {
  // The build compiles before it tests; `npx projen test` alone, or edited sources, compile here (as the compile task does).
  if (!fs.existsSync(ASSEMBLY) || fs.statSync(ASSEMBLY).mtimeMs < newestSource()) {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'jsii'), ['--silence-warnings=reserved-word'],
      { cwd: ROOT, stdio: 'pipe', env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' } });
  }
  assembly = JSON.parse(fs.readFileSync(ASSEMBLY, 'utf8'));
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bindings-'));
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'jsii-pacmak'),
    ['--code-only', '--force-target', '--target', 'python', '--target', 'java', '--outdir', outdir],
    { cwd: ROOT, stdio: 'pipe', env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' } });
}, 240_000);

afterAll(() => {
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
});

const publicTypes = () => Object.values(assembly.types);
const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

test('the assembly carries every language\'s package name', () => {
  expect(assembly.targets).toEqual({
    js: { npm: 'cdk-organizations' },
    python: { distName: 'cdk-organizations', module: 'cdk_organizations' },
    java: { package: 'dev.cdkorganizations', maven: { groupId: 'dev.cdk-organizations', artifactId: 'cdk-organizations' } },
    dotnet: { namespace: 'CdkOrganizations', packageId: 'CdkOrganizations' },
    go: { moduleName: 'github.com/cdk-organizations/cdk-organizations-go', packageName: 'cdkorganizations' },
  });
});

test('the Python module defines every public class, struct, interface and enum, and struct props as snake_case arguments', () => {
  const source = fs.readFileSync(path.join(outdir, 'python', 'src', 'cdk_organizations', '__init__.py'), 'utf8');
  expect(publicTypes().length).toBeGreaterThan(20);
  const missing: string[] = [];
  for (const type of publicTypes()) {
    if (!new RegExp(`^class ${type.name}\\b`, 'm').test(source)) missing.push(type.name);
    if (type.datatype) {
      for (const prop of type.properties ?? []) {
        if (!source.includes(`${snake(prop.name)}:`)) missing.push(`${type.name}.${snake(prop.name)}`);
      }
    }
  }
  expect(missing).toEqual([]);
  // The names the README's quick start uses, spelled as a Python user would.
  for (const name of ['Organization', 'OrganizationalUnit', 'Account', 'Policy', 'PolicyContent', 'ProviderSettings']) {
    expect(source).toMatch(new RegExp(`^class ${name}\\(`, 'm'));
  }
  expect(source).toContain('def configure(');
  expect(source).toContain('reserved_concurrent_executions');
});

test('the Python sources are valid Python', () => {
  const files = execFileSync('find', [path.join(outdir, 'python', 'src'), '-name', '*.py'], { encoding: 'utf8' }).trim().split('\n');
  expect(files.length).toBeGreaterThan(0);
  // py_compile parses each file: a syntax error fails with the file and line.
  execFileSync('python3', ['-m', 'py_compile', ...files], { stdio: 'pipe' });
});

test('the Java sources have one file per public type, in the configured package', () => {
  const dir = path.join(outdir, 'java', 'src', 'main', 'java', 'dev', 'cdkorganizations');
  const files = new Set(fs.readdirSync(dir));
  expect(publicTypes().map(t => `${t.name}.java`).filter(f => !files.has(f))).toEqual([]);
  expect(fs.readFileSync(path.join(dir, 'ProviderSettings.java'), 'utf8')).toContain('package dev.cdkorganizations;');
  expect(fs.readFileSync(path.join(outdir, 'java', 'pom.xml'), 'utf8')).toContain('<artifactId>cdk-organizations</artifactId>');
});
