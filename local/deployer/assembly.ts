/**
 * Reading a synthesized cloud assembly (cdk.out), or producing one by running the app the way the
 * cdk CLI does (the app command with `CDK_OUTDIR` set to a fresh directory).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from './template';

export interface AssemblyStack {
  /** The artifact id in manifest.json (the construct id of the stack). */
  readonly artifactId: string;
  /** The CloudFormation stack name: the key under which its state is kept. */
  readonly stackName: string;
  /** The construct path shown by the cdk CLI (e.g. `Stage/Stack`). */
  readonly displayName: string;
  readonly template: Template;
  /** Artifact ids of the stacks this stack depends on (cross-stack references, `addDependency`). */
  readonly dependencies: readonly string[];
  /** The stack's account and region when the app made them concrete. */
  readonly account?: string;
  readonly region?: string;
  /** Logical id -> construct path (relative to the stack), for progress lines. */
  readonly constructPaths: Readonly<Record<string, string>>;
}

export interface AssetSource {
  /** Absolute path of the asset directory (or file). */
  readonly path: string;
  readonly packaging: string;
  /** The asset hash, as in `asset.<hash>` and the S3 object key. */
  readonly hash: string;
}

export interface CloudAssembly {
  readonly directory: string;
  readonly stacks: readonly AssemblyStack[];
  /** The asset published under this S3 object key (`<hash>.zip`), if the assembly has it. */
  findAsset(objectKey: string): AssetSource | undefined;
}

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly properties?: Record<string, any>;
  readonly dependencies?: string[];
  readonly metadata?: Record<string, Array<{ type: string; data?: unknown }>>;
  readonly additionalMetadataFile?: string;
  readonly displayName?: string;
}

/** Reads `manifest.json` and every stack template of an assembly directory (nested stage assemblies included). */
export function readAssembly(directory: string): CloudAssembly {
  const root = path.resolve(directory);
  if (!fs.existsSync(path.join(root, 'manifest.json'))) {
    throw new Error(`${root} is not a cloud assembly: it has no manifest.json (pass a cdk.out directory, or a command that synthesizes one)`);
  }
  const stacks: AssemblyStack[] = [];
  const assets = new Map<string, AssetSource>();
  readAssemblyDirectory(root, stacks, assets);
  return {
    directory: root,
    stacks,
    findAsset: objectKey => assets.get(objectKey) ?? legacyAsset(root, objectKey),
  };
}

function readAssemblyDirectory(directory: string, stacks: AssemblyStack[], assets: Map<string, AssetSource>): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'manifest.json'), 'utf-8')) as { artifacts?: Record<string, ManifestArtifact> };
  const artifacts = manifest.artifacts ?? {};
  for (const [id, artifact] of Object.entries(artifacts)) {
    switch (artifact.type) {
      case 'aws:cloudformation:stack':
        stacks.push(readStack(directory, id, artifact, artifacts));
        break;
      case 'cdk:asset-manifest':
        readAssetManifest(directory, path.join(directory, artifact.properties?.file), assets);
        break;
      case 'cdk:cloud-assembly':
        readAssemblyDirectory(path.join(directory, artifact.properties?.directoryName), stacks, assets);
        break;
    }
  }
}

function readStack(directory: string, id: string, artifact: ManifestArtifact, artifacts: Record<string, ManifestArtifact>): AssemblyStack {
  const properties = artifact.properties ?? {};
  const template = JSON.parse(fs.readFileSync(path.join(directory, properties.templateFile), 'utf-8')) as Template;
  const env = /^aws:\/\/([^/]+)\/([^/]+)$/.exec(artifact.environment ?? '');
  const account = env && !env[1].startsWith('unknown-') ? env[1] : undefined;
  const region = env && !env[2].startsWith('unknown-') ? env[2] : undefined;
  return {
    artifactId: id,
    stackName: properties.stackName ?? id,
    displayName: artifact.displayName ?? id,
    template,
    dependencies: (artifact.dependencies ?? []).filter(dep => artifacts[dep]?.type === 'aws:cloudformation:stack'),
    account,
    region,
    constructPaths: constructPaths(directory, artifact),
  };
}

function constructPaths(directory: string, artifact: ManifestArtifact): Record<string, string> {
  let metadata = artifact.metadata ?? {};
  if (artifact.additionalMetadataFile) {
    const file = path.join(directory, artifact.additionalMetadataFile);
    if (fs.existsSync(file)) metadata = { ...metadata, ...JSON.parse(fs.readFileSync(file, 'utf-8')) };
  }
  const paths: Record<string, string> = {};
  for (const [constructPath, entries] of Object.entries(metadata)) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') {
        // "/Stack/Ou/Resource" -> "Ou/Resource", as the cdk CLI prints it.
        paths[entry.data] = constructPath.split('/').filter(Boolean).slice(1).join('/');
      }
    }
  }
  return paths;
}

function readAssetManifest(directory: string, file: string, assets: Map<string, AssetSource>): void {
  const manifest = JSON.parse(fs.readFileSync(file, 'utf-8')) as {
    files?: Record<string, { source: { path?: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  for (const [hash, entry] of Object.entries(manifest.files ?? {})) {
    if (!entry.source.path) continue;
    const source = { path: path.join(directory, entry.source.path), packaging: entry.source.packaging ?? 'file', hash };
    for (const destination of Object.values(entry.destinations)) assets.set(destination.objectKey, source);
  }
}

/** Assemblies without an asset manifest still hold `asset.<hash>` directories. */
function legacyAsset(directory: string, objectKey: string): AssetSource | undefined {
  const hash = objectKey.replace(/\.zip$/, '');
  const candidate = path.join(directory, `asset.${hash}`);
  return fs.existsSync(candidate) && fs.statSync(candidate).isDirectory()
    ? { path: candidate, packaging: 'zip', hash }
    : undefined;
}

export interface SynthesizedApp {
  readonly directory: string;
  /** Removes the temporary output directory. */
  cleanup(): void;
}

/**
 * `app` is either a cloud assembly directory or a command that synthesizes one; the command runs
 * with `CDK_OUTDIR` set to a fresh temporary directory (and the context of ./cdk.json), as the
 * cdk CLI runs it.
 */
export async function synthesize(app: string, options: { cwd?: string; output?: (chunk: string) => void } = {}): Promise<SynthesizedApp> {
  const cwd = options.cwd ?? process.cwd();
  const asDirectory = path.resolve(cwd, app);
  if (fs.existsSync(path.join(asDirectory, 'manifest.json'))) return { directory: asDirectory, cleanup: () => undefined };
  if (fs.existsSync(asDirectory) && fs.statSync(asDirectory).isDirectory()) {
    throw new Error(`${asDirectory} is not a cloud assembly: it has no manifest.json (run 'cdk synth' first, or pass the command that synthesizes the app)`);
  }
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-organizations-synth-'));
  const context = {
    ...readJson(path.join(cwd, 'cdk.json'))?.context,
    ...readJson(path.join(cwd, 'cdk.context.json')),
    'aws:cdk:enable-path-metadata': true,
  };
  let captured = '';
  const code = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(app, {
      cwd,
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    });
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      captured = (captured + text).slice(-20_000);
      options.output?.(text);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', status => resolvePromise(status ?? 1));
  });
  const cleanup = () => fs.rmSync(outdir, { recursive: true, force: true });
  if (code !== 0 || !fs.existsSync(path.join(outdir, 'manifest.json'))) {
    cleanup();
    throw new Error(`The app command '${app}' ${code !== 0 ? `exited with code ${code}` : 'produced no cloud assembly'}${captured ? `:\n${captured.trimEnd()}` : ''}`);
  }
  return { directory: outdir, cleanup };
}

/** The `app` entry of ./cdk.json, as the cdk CLI reads it when `--app` is not given. */
export function appFromCdkJson(cwd: string = process.cwd()): string | undefined {
  const app = readJson(path.join(cwd, 'cdk.json'))?.app;
  return typeof app === 'string' ? app : undefined;
}

function readJson(file: string): any {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf-8')) : undefined;
}
