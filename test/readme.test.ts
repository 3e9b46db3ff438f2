/**
 * Every TypeScript snippet of README.md is type-checked against the library's sources, as a user
 * would write it (`import ... from 'cdk-organizations'`), so the documentation cannot drift.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');

/** The ```ts blocks of a markdown text, with the line each starts on. */
export function typescriptSnippets(markdown: string): { line: number; code: string }[] {
  const snippets: { line: number; code: string }[] = [];
  const fence = /^```(ts|typescript)\s*$([\s\S]*?)^```\s*$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    const line = markdown.slice(0, match.index).split('\n').length;
    snippets.push({ line, code: match[2] });
  }
  return snippets;
}

function diagnosticsOf(snippets: { line: number; code: string }[]): string[] {
  const files = new Map(snippets.map((s, i) => [path.join(ROOT, 'test', `__readme_snippet_${i}__.ts`), s]));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    esModuleInterop: true,
    types: ['node'],
    paths: {
      'cdk-organizations': [path.join(ROOT, 'src', 'index.ts')],
      'cdk-organizations/lib/local/*': [path.join(ROOT, 'local', '*')],
    },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = name => files.has(name) || ts.sys.fileExists(name);
  host.readFile = name => files.get(name)?.code ?? readFile(name);
  host.getSourceFile = (name, version, onError) => {
    const snippet = files.get(name);
    return snippet ? ts.createSourceFile(name, snippet.code, version) : getSourceFile(name, version, onError);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program)
    .filter(d => d.file && files.has(d.file.fileName))
    .map(d => {
      const snippet = files.get(d.file!.fileName)!;
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `README.md:${snippet.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

test('README has TypeScript snippets to check', () => {
  const snippets = typescriptSnippets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  expect(snippets.length).toBeGreaterThan(0);
});

test('every README TypeScript snippet compiles against the library', () => {
  const snippets = typescriptSnippets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  expect(diagnosticsOf(snippets)).toEqual([]);
});

test('a snippet with a type error is reported with its README line', () => {
  const errors = diagnosticsOf([{ line: 10, code: "import { App } from 'aws-cdk-lib';\nconst app: number = new App();\n" }]);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^README\.md:12: Type 'App' is not assignable to type 'number'/);
});
