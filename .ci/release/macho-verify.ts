/**
 * Reads and checks the embedded code signature of a thin 64-bit Mach-O, the way the macOS kernel
 * checks pages and `codesign --verify` checks the blobs: every code slot must be the hash of its
 * page, every special slot the hash of its blob, the signature inside __LINKEDIT at the end of
 * the file. Separate from the signer so that it can judge any signature, Apple's or ours: the
 * release build runs it on what it signed, the tests also on the official node binary.
 * Not checked: CMS signatures and certificate chains (an ad-hoc signature has none).
 */
import { createHash } from 'node:crypto';
import {
  CSMAGIC_CODEDIRECTORY,
  CSMAGIC_EMBEDDED_SIGNATURE,
  CSSLOT_ALTERNATE_CODEDIRECTORIES,
  CSSLOT_CODEDIRECTORY,
  CS_ADHOC,
  CS_HASHTYPE_SHA256,
  parseMachO,
} from './macho-sign.ts';

const CSSLOT_SIGNATURESLOT = 0x10000;
const HASH = { 1: 'sha1', 2: 'sha256' } as Record<number, string>;

export interface CodeDirectory {
  slot: number;
  version: number;
  flags: number;
  hashType: number;
  pageSize: number;
  nSpecialSlots: number;
  nCodeSlots: number;
  codeLimit: number;
  identifier: string;
  execSeg: { base: bigint; limit: bigint; flags: bigint } | null;
  /** How many code and special slots were compared with what they hash. */
  checked: { code: number; special: number };
}

export interface SignatureReport {
  dataoff: number;
  datasize: number;
  /** Slot types in the SuperBlob's index (0 CodeDirectory, 2 requirements, 5 entitlements, 0x1000 alternate CD, 0x10000 CMS). */
  slots: number[];
  codeDirectories: CodeDirectory[];
  adhoc: boolean;
  /** Empty when the signature is consistent with the file. */
  problems: string[];
}

export function verifySignature(buf: Buffer): SignatureReport {
  const m = parseMachO(buf);
  if (!m.signature) throw new Error('Mach-O: no LC_CODE_SIGNATURE: the file is not signed');
  const { dataoff, datasize } = m.signature;
  const r: SignatureReport = { dataoff, datasize, slots: [], codeDirectories: [], adhoc: false, problems: [] };
  const problem = (p: string): void => void r.problems.push(p);
  const le = m.segments.find((s) => s.name === '__LINKEDIT');
  if (dataoff + datasize > buf.length) problem(`the signature (${dataoff}+${datasize}) runs past the end of the file (${buf.length})`);
  if (!le || dataoff < le.fileoff || dataoff + datasize > le.fileoff + le.filesize) problem('__LINKEDIT does not cover the signature');
  else if (le.fileoff + le.filesize !== buf.length) problem(`__LINKEDIT ends at ${le.fileoff + le.filesize}, the file at ${buf.length}`);
  for (const s of m.segments) if (s !== le && s.filesize > 0 && s.fileoff + s.filesize > dataoff) problem(`segment ${s.name} reaches into the signature`);
  if (HEADER_END(m) > m.firstSectionOffset) problem('load commands overlap the first section');
  for (const p of layoutProblems(buf, dataoff)) problem(p);
  if (r.problems.length > 0) return r;

  const sb = buf.subarray(dataoff, dataoff + datasize);
  if (sb.readUInt32BE(0) !== CSMAGIC_EMBEDDED_SIGNATURE) return (problem(`SuperBlob magic 0x${sb.readUInt32BE(0).toString(16)}`), r);
  const length = sb.readUInt32BE(4);
  const count = sb.readUInt32BE(8);
  if (length > datasize || 12 + count * 8 > length) return (problem(`SuperBlob length ${length} / count ${count} do not fit ${datasize} bytes`), r);
  const blobs = new Map<number, Buffer>();
  for (let i = 0; i < count; i++) {
    const type = sb.readUInt32BE(12 + i * 8);
    const off = sb.readUInt32BE(16 + i * 8);
    if (off + 8 > length || off + sb.readUInt32BE(off + 4) > length) {
      problem(`blob ${type} at ${off} runs past the SuperBlob`);
      continue;
    }
    r.slots.push(type);
    blobs.set(type, sb.subarray(off, off + sb.readUInt32BE(off + 4)));
  }
  const cds = [...blobs.entries()].filter(([t]) => t === CSSLOT_CODEDIRECTORY || (t >= CSSLOT_ALTERNATE_CODEDIRECTORIES && t < CSSLOT_ALTERNATE_CODEDIRECTORIES + 5));
  if (cds.length === 0) problem('no CodeDirectory');
  for (const [slot, cd] of cds) r.codeDirectories.push(checkCodeDirectory(buf, dataoff, slot, cd, blobs, problem));
  if (!r.codeDirectories.some((c) => c.hashType === CS_HASHTYPE_SHA256)) problem('no SHA-256 CodeDirectory');
  r.adhoc = r.codeDirectories.every((c) => (c.flags & CS_ADHOC) !== 0);
  const cms = blobs.get(CSSLOT_SIGNATURESLOT);
  // An ad-hoc signature carries no CMS blob, or an empty wrapper (codesign writes one of 8 bytes).
  if (r.adhoc && cms && cms.length > 8) problem('ad-hoc CodeDirectory but a CMS signature is present');
  return r;
}

const HEADER_END = (m: { sizeofcmds: number }): number => 32 + m.sizeofcmds;

/** linkedit_data_command types: {dataoff, datasize} into __LINKEDIT. */
const LINKEDIT_DATA = new Map([
  [0x1e, 'LC_FUNCTION_STARTS'],
  [0x29, 'LC_DATA_IN_CODE'],
  [0x2b, 'LC_DYLIB_CODE_SIGN_DRS'],
  [0x2e, 'LC_LINKER_OPTIMIZATION_HINT'],
  [0x80000033, 'LC_DYLD_EXPORTS_TRIE'],
  [0x80000034, 'LC_DYLD_CHAINED_FIXUPS'],
]);

/**
 * What an injector that moves __LINKEDIT (postject's LIEF) could get wrong: segments that overlap in
 * the file or in memory or are not page-aligned, a vmsize smaller than its filesize, and tables of the dynamic linker
 * (symbols, strings, fixups, exports) that point outside __LINKEDIT or into the signature.
 */
export function layoutProblems(buf: Buffer, signatureOffset: number): string[] {
  const m = parseMachO(buf);
  const out: string[] = [];
  const segs = m.segments.filter((s) => s.vmsize > 0n);
  // The kernel maps segments by page: 16 KiB on arm64, 4 KiB on x86_64.
  const page = m.cputype === 0x0100000c ? 0x4000n : 0x1000n;
  for (const s of segs) {
    if (BigInt(s.filesize) > s.vmsize) out.push(`segment ${s.name}: filesize ${s.filesize} > vmsize ${s.vmsize}`);
    if (s.vmaddr % page !== 0n || (s.filesize > 0 && BigInt(s.fileoff) % page !== 0n)) out.push(`segment ${s.name} is not aligned to ${page}-byte pages`);
  }
  for (let i = 0; i < segs.length; i++) {
    for (let j = i + 1; j < segs.length; j++) {
      const [a, b] = [segs[i]!, segs[j]!];
      if (a.vmaddr < b.vmaddr + b.vmsize && b.vmaddr < a.vmaddr + a.vmsize) out.push(`segments ${a.name} and ${b.name} overlap in memory`);
      if (a.filesize > 0 && b.filesize > 0 && a.fileoff < b.fileoff + b.filesize && b.fileoff < a.fileoff + a.filesize) out.push(`segments ${a.name} and ${b.name} overlap in the file`);
    }
  }
  const le = m.segments.find((s) => s.name === '__LINKEDIT');
  if (!le) return [...out, 'no __LINKEDIT segment'];
  const inside = (what: string, off: number, size: number): void => {
    if (size > 0 && (off < le.fileoff || off + size > signatureOffset)) out.push(`${what} (${off}+${size}) is not inside __LINKEDIT before the signature`);
  };
  let off = 32;
  for (let i = 0; i < m.ncmds; i++) {
    const cmd = buf.readUInt32LE(off);
    const name = LINKEDIT_DATA.get(cmd);
    if (name) inside(name, buf.readUInt32LE(off + 8), buf.readUInt32LE(off + 12));
    if (cmd === 0x2) {
      // LC_SYMTAB: nlist_64 entries of 16 bytes, then the string table
      inside('LC_SYMTAB symbols', buf.readUInt32LE(off + 8), buf.readUInt32LE(off + 12) * 16);
      inside('LC_SYMTAB strings', buf.readUInt32LE(off + 16), buf.readUInt32LE(off + 20));
    }
    if (cmd === 0xb) inside('LC_DYSYMTAB indirect symbols', buf.readUInt32LE(off + 56), buf.readUInt32LE(off + 60) * 4);
    if (cmd === 0x22 || cmd === 0x80000022) {
      // LC_DYLD_INFO(_ONLY): rebase, bind, weak bind, lazy bind, export
      for (let k = 0; k < 5; k++) inside(`LC_DYLD_INFO table ${k}`, buf.readUInt32LE(off + 8 + k * 8), buf.readUInt32LE(off + 12 + k * 8));
    }
    off += buf.readUInt32LE(off + 4);
  }
  return out;
}

function checkCodeDirectory(file: Buffer, dataoff: number, slot: number, cd: Buffer, blobs: Map<number, Buffer>, problem: (p: string) => void): CodeDirectory {
  const at = `CodeDirectory (slot 0x${slot.toString(16)})`;
  const c: CodeDirectory = {
    slot,
    version: cd.readUInt32BE(8),
    flags: cd.readUInt32BE(12),
    hashType: cd.readUInt8(37),
    pageSize: cd.readUInt8(39) === 0 ? 0 : 1 << cd.readUInt8(39),
    nSpecialSlots: cd.readUInt32BE(24),
    nCodeSlots: cd.readUInt32BE(28),
    codeLimit: cd.readUInt32BE(32),
    identifier: '',
    execSeg: null,
    checked: { code: 0, special: 0 },
  };
  if (cd.readUInt32BE(0) !== CSMAGIC_CODEDIRECTORY) {
    problem(`${at}: magic 0x${cd.readUInt32BE(0).toString(16)}`);
    return c;
  }
  const hashOffset = cd.readUInt32BE(16);
  const identOffset = cd.readUInt32BE(20);
  const hashSize = cd.readUInt8(36);
  const end = cd.indexOf(0, identOffset);
  c.identifier = cd.toString('utf8', identOffset, end < 0 ? cd.length : end);
  if (c.version >= 0x20300 && cd.readBigUInt64BE(56) !== 0n) problem(`${at}: codeLimit64 is set (files over 4 GiB are not handled)`);
  if (c.version >= 0x20400) c.execSeg = { base: cd.readBigUInt64BE(64), limit: cd.readBigUInt64BE(72), flags: cd.readBigUInt64BE(80) };
  const algo = HASH[c.hashType];
  if (!algo) return (problem(`${at}: unknown hash type ${c.hashType}`), c);
  if (hashSize !== createHash(algo).digest().length) problem(`${at}: hash size ${hashSize} for ${algo}`);
  if (c.codeLimit !== dataoff) problem(`${at}: codeLimit ${c.codeLimit} is not where the signature starts (${dataoff})`);
  if (c.pageSize === 0) return (problem(`${at}: page size 0 (one hash of everything) is not what executables use`), c);
  if (c.nCodeSlots !== Math.ceil(c.codeLimit / c.pageSize)) problem(`${at}: ${c.nCodeSlots} code slots for ${c.codeLimit} bytes of ${c.pageSize}-byte pages`);
  if (hashOffset + c.nCodeSlots * hashSize > cd.length || hashOffset < c.nSpecialSlots * hashSize) return (problem(`${at}: hash slots outside the blob`), c);
  let bad = 0;
  for (let i = 0; i < c.nCodeSlots && bad < 5; i++) {
    const page = file.subarray(i * c.pageSize, Math.min((i + 1) * c.pageSize, c.codeLimit));
    const want = cd.subarray(hashOffset + i * hashSize, hashOffset + (i + 1) * hashSize);
    if (!createHash(algo).update(page).digest().subarray(0, hashSize).equals(want)) {
      problem(`${at}: page ${i} (file offset ${i * c.pageSize}) does not match its hash`);
      bad++;
    } else c.checked.code++;
  }
  for (let k = 1; k <= c.nSpecialSlots; k++) {
    const want = cd.subarray(hashOffset - k * hashSize, hashOffset - (k - 1) * hashSize);
    const blob = blobs.get(k);
    if (blob) {
      if (!createHash(algo).update(blob).digest().subarray(0, hashSize).equals(want)) problem(`${at}: special slot -${k} does not match blob ${k}`);
      c.checked.special++;
    } else if (!want.every((b) => b === 0) && k !== 1 && k !== 3) {
      // -1 Info.plist and -3 resources hash files outside the binary; the others must be in the SuperBlob.
      problem(`${at}: special slot -${k} is set but blob ${k} is missing`);
    }
  }
  return c;
}
