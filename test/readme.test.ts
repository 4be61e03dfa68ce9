/**
 * The README's TypeScript sketches type-check against the library as it is:
 * a renamed export, a dropped option or a changed return type fails here,
 * not in a user's editor. Each sketch is its own module; the names a sketch
 * takes from an earlier one (its comment says which) are declared for it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');

/** What later sketches take from the training sketch (and x, an input batch). */
const CONTEXT: Record<string, string> = {
  model: 'pk.Sequential',
  optimizer: 'pk.SGD',
  data: 'pk.Dataset',
  validation: 'pk.Dataset',
  test: 'pk.Dataset',
  x: 'pk.Tensor',
};

function readmeSketches(): string[] {
  const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

/** Names a module declares at its top level: imports and variable bindings. */
function declaredNames(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) bindings.elements.forEach((e) => names.add(e.name.text));
    } else if (ts.isVariableStatement(statement)) {
      statement.declarationList.declarations.forEach((d) => bind(d.name));
    }
  }
  return names;
}

function withContext(sketch: string, file: string): string {
  const declared = declaredNames(ts.createSourceFile(file, sketch, ts.ScriptTarget.ES2022));
  const context = Object.entries(CONTEXT).filter(([name]) => !declared.has(name))
    .map(([name, type]) => `declare const ${name}: ${type};`);
  // Appended, so the compiler's line numbers are the sketch's own.
  return `${sketch}\nimport type * as pk from 'prunekit';\n${context.join('\n')}\nexport {};\n`;
}

/** Diagnostics of every sketch, compiled as one program (file names: `${prefix}-${i + 1}.ts`). */
function typeErrors(sets: Record<string, string[]>): string[] {
  const files = new Map(Object.entries(sets).flatMap(([prefix, sketches]) =>
    sketches.map((s, i) => [path.join(root, `${prefix}-${i + 1}.ts`), withContext(s, `${prefix} ${i + 1}`)] as const)));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022, // the sketches use top-level await, as an ES module may
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    paths: { prunekit: [path.join(root, 'lib', 'index.ts')] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host), fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => files.get(f) ?? readFile(f);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.getSourceFile = (f, language, ...rest) => {
    const text = files.get(f);
    return text === undefined ? getSourceFile(f, language, ...rest) : ts.createSourceFile(f, text, language);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.basename(d.file.fileName)} line ${line + 1}: ${message}`;
  });
}

describe('README', () => {
  const sketches = readmeSketches();
  // Deliberately wrong sketches, so the check is seen to catch what it is for.
  const wrong = [
    "import { train } from 'prunekit';\ntrain(model, data, { optimizer, epochs: 1, batchSise: 64 });",
    "import { pruneEverything } from 'prunekit';",
    "import { Tensor } from 'prunekit';\nTensor.zeros([1]).add(y);",
  ];
  let errors: string[] = [];
  beforeAll(() => {
    errors = typeErrors({ readme: sketches, wrong });
  });

  test('has its API sketches', () => {
    expect(sketches.length).toBeGreaterThanOrEqual(5);
    expect(sketches.every((s) => s.includes("from 'prunekit'"))).toBe(true);
  });

  test('every TypeScript sketch type-checks against lib/', () => {
    expect(errors.filter((e) => e.startsWith('readme-'))).toEqual([]);
  });

  test('the check finds a wrong option, a missing export and an undeclared name', () => {
    expect(errors.filter((e) => !e.startsWith('readme-'))).toEqual([
      expect.stringMatching(/^wrong-1\.ts line 2: .*'batchSise'/),
      expect.stringMatching(/^wrong-2\.ts line 1: .*pruneEverything/),
      expect.stringMatching(/^wrong-3\.ts line 2: .*'add'/),
      expect.stringMatching(/^wrong-3\.ts line 2: Cannot find name 'y'/),
    ]);
  });
});
