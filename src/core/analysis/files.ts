// File discovery for `warden scan`: walks the requested paths under the scan root and decides, for
// each file, whether it is analysed or skipped and why. Honours .gitignore files at every level
// (git's precedence: the deepest file wins, `!` re-includes), .git/info/exclude and .wardenignore
// (same syntax, above .gitignore at its level), skips vendored and generated directories, special
// files, files over the size limit and symlinks (a symlink leaving the root is never followed).
// Content checks (binary, UTF-8) happen when a file is read: `decodeText`.
import nodeFs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { WardenError } from '../errors.js';
import type { SkippedFile } from './types.js';

/** Directories skipped by default wherever they appear: dependencies, build output, caches, VCS. */
export const DEFAULT_SKIP_DIRS: readonly string[] = Object.freeze([
  '.git', '.hg', '.svn', 'node_modules', 'bower_components', 'jspm_packages', 'vendor', 'third_party',
  'dist', 'build', 'out', 'target', 'coverage', '.nyc_output', '__pycache__', '.venv', 'venv',
  '.tox', '.nox', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.gradle', '.next', '.nuxt',
  '.svelte-kit', '.turbo', '.parcel-cache', '.cache', '.terraform', '.serverless', 'Pods',
]);

/** Bytes inspected for a NUL when deciding whether a file is binary (git and ripgrep use 8 KB too). */
export const BINARY_SNIFF_BYTES = 8192;

export interface DiscoveredFile {
  /** Absolute path. */
  abs: string;
  /** Relative to the scan root, forward slashes. */
  rel: string;
  size: number;
  /** Size, modification and change times, inode: what changes when the content does. */
  sig: string;
  /** Its modification time (epoch ms). */
  mtimeMs: number;
}

export interface Discovery {
  files: DiscoveredFile[];
  skipped: SkippedFile[];
}

/** The part of node:fs discovery uses (tests pass the real one; a caller may wrap it). */
export interface DiscoveryFs {
  readdirSync(p: string, opts: { withFileTypes: true }): nodeFs.Dirent[];
  lstatSync(p: string): nodeFs.Stats;
  statSync(p: string): nodeFs.Stats;
  realpathSync(p: string): string;
  readFileSync(p: string, enc: 'utf8'): string;
  existsSync(p: string): boolean;
}

export interface DiscoverOptions {
  /** Absolute scan root: paths in findings and skips are relative to it. */
  root: string;
  /**
   * What to scan, absolute or relative to `root`; default the whole root. A file named here is
   * scanned even when an ignore file or the default skip list would leave it out; a directory
   * named here is walked even if its name is in the default skip list, and ignore files apply
   * inside it as everywhere else (like git, a file under an ignored directory stays ignored).
   */
  paths?: readonly string[];
  /** Files larger than this many bytes are skipped. */
  maxFileSize: number;
  /** Directory names skipped wherever they appear (default DEFAULT_SKIP_DIRS). */
  skipDirs?: readonly string[];
  fs?: DiscoveryFs;
}

/** One ignore file's rules and the directory (relative to the root, '' for the root) they apply under. */
interface IgnoreLayer {
  dir: string;
  ig: Ignore;
  source: string;
}

const toPosix = (p: string): string => (path.sep === '/' ? p : p.split(path.sep).join('/'));

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KB`;
  return `${bytes} B`;
}

/** The git work tree `dir` is in (the nearest ancestor holding `.git`), or undefined. */
function gitTopOf(dir: string, fs: DiscoveryFs): string | undefined {
  let d = dir;
  for (;;) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    const parent = path.dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
}

function readIgnoreFile(file: string, fs: DiscoveryFs): string | undefined {
  try {
    const st = fs.statSync(file);
    // Ignore files are hand-written; a huge one is not worth parsing (and bounds memory).
    if (!st.isFile() || st.size > 1024 * 1024) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Lists the files to analyse under `opts.root` (restricted to `opts.paths`), with every skipped
 * file or directory and the reason. Results are sorted by path. Throws WardenError `scan_path`
 * when a requested path does not exist or lies outside the root.
 */
export function discoverFiles(opts: DiscoverOptions): Discovery {
  const fs = opts.fs ?? nodeFs;
  const root = path.resolve(opts.root);
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
  } catch {
    throw new WardenError('scan_path', `scan root ${root} does not exist`);
  }
  const skipDirs = new Set(opts.skipDirs ?? DEFAULT_SKIP_DIRS);
  const files: DiscoveredFile[] = [];
  const skipped: SkippedFile[] = [];
  const seen = new Set<string>();
  const layerCache = new Map<string, IgnoreLayer[]>();

  // Layers above the root: .git/info/exclude and the .gitignore files between the work tree's top and the root.
  const top = gitTopOf(root, fs);
  const baseLayers: IgnoreLayer[] = [];
  if (top !== undefined) {
    const exclude = readIgnoreFile(path.join(top, '.git', 'info', 'exclude'), fs);
    const relTop = toPosix(path.relative(top, root));
    const addAbove = (text: string | undefined, dirAbs: string, source: string) => {
      if (text === undefined) return;
      // A layer above the root sees root-relative paths prefixed with the root's path below it.
      const prefix = toPosix(path.relative(dirAbs, root));
      baseLayers.push({ dir: prefix === '' ? '' : `..above:${prefix}`, ig: ignore({ ignorecase: false }).add(text), source });
    };
    addAbove(exclude, top, '.git/info/exclude');
    if (relTop !== '') {
      const parts = relTop.split('/');
      for (let i = 0; i < parts.length; i++) {
        const dirAbs = path.join(top, ...parts.slice(0, i));
        addAbove(readIgnoreFile(path.join(dirAbs, '.gitignore'), fs), dirAbs, `${toPosix(path.relative(root, dirAbs)) || '.'}/.gitignore`);
        addAbove(readIgnoreFile(path.join(dirAbs, '.wardenignore'), fs), dirAbs, `${toPosix(path.relative(root, dirAbs)) || '.'}/.wardenignore`);
      }
    }
  }

  /**
   * The layers that apply inside directory `relDir` (its own ignore files last). `present` is the
   * directory's listing when the caller has it, which saves looking for ignore files that are not there.
   */
  const layersFor = (relDir: string, present?: ReadonlySet<string>): IgnoreLayer[] => {
    const cached = layerCache.get(relDir);
    if (cached) return cached;
    const parent = relDir === '' ? baseLayers : layersFor(relDir.includes('/') ? relDir.slice(0, relDir.lastIndexOf('/')) : '');
    const own: IgnoreLayer[] = [];
    const dirAbs = path.join(root, relDir);
    for (const name of ['.gitignore', '.wardenignore']) {
      if (present && !present.has(name)) continue;
      const text = readIgnoreFile(path.join(dirAbs, name), fs);
      if (text !== undefined) own.push({ dir: relDir, ig: ignore({ ignorecase: false }).add(text), source: relDir ? `${relDir}/${name}` : name });
    }
    const layers = own.length ? [...parent, ...own] : parent;
    layerCache.set(relDir, layers);
    return layers;
  };

  /** The ignore file excluding `rel` (a directory when `isDir`), deepest layer deciding; undefined if none. */
  const ignoredBy = (rel: string, isDir: boolean, layers: readonly IgnoreLayer[]): string | undefined => {
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i];
      let sub: string;
      if (l.dir.startsWith('..above:')) sub = `${l.dir.slice('..above:'.length)}/${rel}`;
      else if (l.dir === '') sub = rel;
      else sub = rel.slice(l.dir.length + 1);
      const r = l.ig.test(isDir ? `${sub}/` : sub);
      if (r.unignored) return undefined;
      if (r.ignored) return l.source;
    }
    return undefined;
  };

  const skip = (rel: string, reason: string) => skipped.push({ path: rel, reason });

  /** The checks shared by walked and named files: symlink, special file, size. */
  const visitFile = (abs: string, rel: string, st: nodeFs.Stats): void => {
    if (seen.has(rel)) return;
    seen.add(rel);
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = fs.realpathSync(abs);
      } catch {
        skip(rel, 'broken symlink');
        return;
      }
      const inside = target === realRoot || target.startsWith(realRoot + path.sep);
      skip(rel, inside ? 'symlink (its target inside the root is scanned at its own path)' : 'symlink leaving the scan root');
      return;
    }
    if (!st.isFile()) {
      skip(rel, 'not a regular file');
      return;
    }
    if (st.size > opts.maxFileSize) {
      skip(rel, `larger than the ${formatSize(opts.maxFileSize)} limit (${formatSize(st.size)})`);
      return;
    }
    files.push({ abs, rel, size: st.size, sig: `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}:${st.dev}`, mtimeMs: st.mtimeMs });
  };

  const walk = (dirAbs: string, relDir: string): void => {
    let entries: nodeFs.Dirent[];
    try {
      entries = fs.readdirSync(dirAbs, { withFileTypes: true });
    } catch (e) {
      skip(relDir || '.', `unreadable directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return;
    }
    const layers = layersFor(relDir, new Set(entries.filter((e) => e.name === '.gitignore' || e.name === '.wardenignore').map((e) => e.name)));
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dirAbs, e.name);
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (skipDirs.has(e.name)) {
          if (e.name !== '.git') skip(rel, `vendored or generated directory (${e.name})`);
          continue;
        }
        const by = ignoredBy(rel, true, layers);
        if (by !== undefined) {
          skip(rel, `ignored by ${by}`);
          continue;
        }
        walk(abs, rel);
        continue;
      }
      const by = ignoredBy(rel, false, layers);
      if (by !== undefined) {
        skip(rel, `ignored by ${by}`);
        continue;
      }
      if (e.isSymbolicLink() || e.isFile()) {
        let st: nodeFs.Stats;
        try {
          st = fs.lstatSync(abs);
        } catch {
          skip(rel, 'vanished while scanning');
          continue;
        }
        visitFile(abs, rel, st);
      } else {
        skip(rel, 'not a regular file');
      }
    }
  };

  const targets = opts.paths && opts.paths.length > 0 ? opts.paths : [root];
  for (const t of targets) {
    const abs = path.resolve(root, t);
    const rel = toPosix(path.relative(root, abs));
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new WardenError('scan_path', `${t} is outside the scan root ${root}`);
    }
    let st: nodeFs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      throw new WardenError('scan_path', `${t} does not exist`);
    }
    if (st.isDirectory()) walk(abs, rel);
    else visitFile(abs, rel, st);
  }

  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, skipped };
}

export type DecodedText = { text: string } | { skip: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * A file's content as text, or why it is not analysed: binary (a NUL byte in the first 8 KB) or
 * not valid UTF-8. A UTF-8 byte-order mark is dropped.
 */
export function decodeText(buf: Uint8Array): DecodedText {
  const head = buf.length > BINARY_SNIFF_BYTES ? buf.subarray(0, BINARY_SNIFF_BYTES) : buf;
  if (head.indexOf(0) !== -1) return { skip: 'binary (NUL byte in the first 8 KB)' };
  try {
    return { text: utf8.decode(buf) };
  } catch {
    return { skip: 'not valid UTF-8' };
  }
}
