/**
 * Ad-hoc code signing of a thin 64-bit Mach-O executable, written here so that the macOS executable
 * can be built on Linux without Apple's tools.
 *
 * Why: macOS on Apple silicon runs no native arm64 code without a valid signature, and the kernel
 * checks every page of a signed x86_64 binary (also under Rosetta 2) against its page hashes as it
 * faults in. The official node binary is signed by the OpenJS Foundation; injecting the bundle
 * changes its bytes, so that signature must go (Node's docs: `codesign --remove-signature` before
 * postject) and a new one come (`codesign --sign -` after). An ad-hoc signature has no certificate:
 * it is the SuperBlob with one CodeDirectory of SHA-256 page hashes that Apple's linker writes for
 * every binary it links (ld64 -adhoc_codesign, lld's ld64.lld the same), and that is what we write.
 *
 * Layout (all integers of the signature big-endian, of the Mach-O little-endian):
 *   LC_CODE_SIGNATURE {dataoff, datasize} → SuperBlob 0xfade0cc0 {length, count=1,
 *   index[{type 0 = CodeDirectory, offset}]} → CodeDirectory 0xfade0c02 version 0x20400, hashes
 *   of each 4096-byte page of the file up to the signature (codeLimit), the last page short.
 * The signature is the last thing in the file, inside __LINKEDIT, which must already end the file.
 */
import { createHash } from 'node:crypto';

const MH_MAGIC_64 = 0xfeedfacf;
const FAT_MAGIC = 0xcafebabe;
const MH_EXECUTE = 2;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const HEADER_64 = 32;

export const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
export const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
export const CSSLOT_CODEDIRECTORY = 0;
export const CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
export const CS_HASHTYPE_SHA256 = 2;
export const CS_ADHOC = 0x2;
/** Set by the linker's signature: says "ad-hoc, made at link time"; codesign replaces it without --force. */
export const CS_LINKER_SIGNED = 0x20000;
export const CS_EXECSEG_MAIN_BINARY = 0x1;
const CD_VERSION = 0x20400; // the first with the execSeg fields
const CD_HEADER = 88; // the CodeDirectory's fixed fields at version 0x20400
const PAGE_SHIFT = 12;
const PAGE = 1 << PAGE_SHIFT;
const HASH_SIZE = 32;

export interface Segment {
  name: string;
  /** Offset of the LC_SEGMENT_64 command in the file. */
  cmdOffset: number;
  vmaddr: bigint;
  vmsize: bigint;
  fileoff: number;
  filesize: number;
  sections: { name: string; offset: number; size: number }[];
}

export interface MachO {
  cputype: number;
  filetype: number;
  ncmds: number;
  sizeofcmds: number;
  segments: Segment[];
  signature: { cmdOffset: number; dataoff: number; datasize: number } | null;
  /** The lowest file offset of any section's contents: load commands must end before it. */
  firstSectionOffset: number;
}

const fail = (what: string): never => {
  throw new Error(`Mach-O: ${what}`);
};

export function parseMachO(buf: Buffer): MachO {
  if (buf.length < HEADER_64) fail('file too short for a header');
  if (buf.readUInt32BE(0) === FAT_MAGIC) fail('a universal (fat) binary: only thin 64-bit binaries are signed here');
  if (buf.readUInt32LE(0) !== MH_MAGIC_64) fail(`not a little-endian 64-bit Mach-O (magic 0x${buf.readUInt32LE(0).toString(16)})`);
  const m: MachO = {
    cputype: buf.readUInt32LE(4),
    filetype: buf.readUInt32LE(12),
    ncmds: buf.readUInt32LE(16),
    sizeofcmds: buf.readUInt32LE(20),
    segments: [],
    signature: null,
    firstSectionOffset: buf.length,
  };
  if (HEADER_64 + m.sizeofcmds > buf.length) fail('load commands run past the end of the file');
  let off = HEADER_64;
  for (let i = 0; i < m.ncmds; i++) {
    const cmd = buf.readUInt32LE(off);
    const size = buf.readUInt32LE(off + 4);
    if (size < 8 || size % 8 !== 0 || off + size > HEADER_64 + m.sizeofcmds) fail(`load command ${i} has a bad size ${size}`);
    if (cmd === LC_SEGMENT_64) {
      const seg: Segment = {
        name: cstring(buf, off + 8, 16),
        cmdOffset: off,
        vmaddr: buf.readBigUInt64LE(off + 24),
        vmsize: buf.readBigUInt64LE(off + 32),
        fileoff: Number(buf.readBigUInt64LE(off + 40)),
        filesize: Number(buf.readBigUInt64LE(off + 48)),
        sections: [],
      };
      if (seg.fileoff + seg.filesize > buf.length) fail(`segment ${seg.name} runs past the end of the file`);
      const nsects = buf.readUInt32LE(off + 64);
      if (72 + nsects * 80 !== size) fail(`segment ${seg.name}: ${nsects} sections do not fill its ${size}-byte command`);
      for (let s = 0; s < nsects; s++) {
        const sect = off + 72 + s * 80;
        const type = buf.readUInt32LE(sect + 64) & 0xff;
        const offset = buf.readUInt32LE(sect + 48);
        seg.sections.push({ name: cstring(buf, sect, 16), offset, size: Number(buf.readBigUInt64LE(sect + 40)) });
        // zerofill sections (S_ZEROFILL 1, S_GB_ZEROFILL 0xc, S_THREAD_LOCAL_ZEROFILL 0x12) have no bytes in the file
        if (type !== 0x1 && type !== 0xc && type !== 0x12 && offset > 0) m.firstSectionOffset = Math.min(m.firstSectionOffset, offset);
      }
      m.segments.push(seg);
    } else if (cmd === LC_CODE_SIGNATURE) {
      if (m.signature) fail('two LC_CODE_SIGNATURE commands');
      m.signature = { cmdOffset: off, dataoff: buf.readUInt32LE(off + 8), datasize: buf.readUInt32LE(off + 12) };
    }
    off += size;
  }
  if (off !== HEADER_64 + m.sizeofcmds) fail(`load commands fill ${off - HEADER_64} bytes, the header says ${m.sizeofcmds}`);
  return m;
}

function cstring(buf: Buffer, off: number, max: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('latin1', off, end < 0 || end > off + max ? off + max : end);
}

function linkedit(m: MachO, fileSize: number): Segment {
  const le = m.segments.find((s) => s.name === '__LINKEDIT') ?? fail('no __LINKEDIT segment');
  if (le.fileoff + le.filesize !== fileSize) fail(`__LINKEDIT ends at ${le.fileoff + le.filesize}, not at the end of the file (${fileSize})`);
  for (const s of m.segments) if (s !== le && s.filesize > 0 && s.fileoff >= le.fileoff) fail(`segment ${s.name} lies after __LINKEDIT`);
  return le;
}

/** __LINKEDIT's vmsize is its filesize rounded up to 16 KiB, as ld64 leaves it in the official node binaries (x86_64 too). */
const VM_ROUND = 0x4000n;

function setLinkeditSize(buf: Buffer, le: Segment, filesize: number): void {
  buf.writeBigUInt64LE(BigInt(filesize), le.cmdOffset + 48);
  buf.writeBigUInt64LE(((BigInt(filesize) + VM_ROUND - 1n) / VM_ROUND) * VM_ROUND, le.cmdOffset + 32);
}

/**
 * The file without its code signature, as `codesign --remove-signature` leaves it: the load
 * command gone (the ones after it moved up, the freed bytes zero), the signature's bytes cut off
 * and __LINKEDIT shrunk to end where they began. A file without a signature comes back unchanged.
 */
export function removeSignature(input: Buffer): Buffer {
  const m = parseMachO(input);
  if (!m.signature) return input;
  const { cmdOffset, dataoff, datasize } = m.signature;
  const le = linkedit(m, input.length);
  if (dataoff + datasize !== input.length) fail(`the signature (${dataoff}+${datasize}) is not at the end of the file (${input.length})`);
  if (dataoff < le.fileoff) fail('the signature lies before __LINKEDIT');
  const out = Buffer.from(input.subarray(0, dataoff));
  const cmdsEnd = HEADER_64 + m.sizeofcmds;
  out.copy(out, cmdOffset, cmdOffset + 16, cmdsEnd);
  out.fill(0, cmdsEnd - 16, cmdsEnd);
  out.writeUInt32LE(m.ncmds - 1, 16);
  out.writeUInt32LE(m.sizeofcmds - 16, 20);
  // Segment commands after the removed one moved up by 16 bytes.
  const moved = { ...le, cmdOffset: le.cmdOffset > cmdOffset ? le.cmdOffset - 16 : le.cmdOffset };
  setLinkeditSize(out, moved, dataoff - le.fileoff);
  return out;
}

export interface SignOptions {
  /** The signing identifier (codesign's -i): by convention the file name. */
  identifier: string;
}

/**
 * An ad-hoc signed copy of a thin 64-bit Mach-O executable (any signature it had is removed first):
 * what `codesign --sign - --identifier ID` gives for a single file, in the form the linker writes.
 */
export function adhocSign(input: Buffer, opts: SignOptions): Buffer {
  const unsigned = removeSignature(input);
  const m = parseMachO(unsigned);
  if (m.filetype !== MH_EXECUTE) fail(`filetype ${m.filetype} is not an executable (MH_EXECUTE)`);
  const le = linkedit(m, unsigned.length);
  const text = m.segments.find((s) => s.name === '__TEXT') ?? fail('no __TEXT segment');
  const cmdsEnd = HEADER_64 + m.sizeofcmds;
  if (cmdsEnd + 16 > m.firstSectionOffset) fail(`no room for LC_CODE_SIGNATURE: load commands end at ${cmdsEnd}, the first section starts at ${m.firstSectionOffset}`);
  if (!unsigned.subarray(cmdsEnd, cmdsEnd + 16).every((b) => b === 0)) fail('the padding after the load commands is not zero');

  const ident = Buffer.from(`${opts.identifier}\0`, 'utf8');
  const codeLimit = align(unsigned.length, 16); // the signature starts 16-byte aligned, as ld64 places it
  const nPages = Math.ceil(codeLimit / PAGE);
  // SuperBlob header and its one index entry, padded to 8; the identifier padded so that the hashes
  // start 16-byte aligned in the SuperBlob: the layout of lld's (and llvm-objcopy's) ad-hoc signature.
  const superHeader = align(12 + 8, 8);
  const hashOffset = align(superHeader + CD_HEADER + ident.length, 16) - superHeader;
  const cdLength = hashOffset + nPages * HASH_SIZE;
  const sigSize = align(superHeader + cdLength, 16);
  if (codeLimit + sigSize > 0xffffffff) fail('file too large for a 32-bit code limit');

  const out = Buffer.alloc(codeLimit + sigSize);
  unsigned.copy(out);
  out.writeUInt32LE(m.ncmds + 1, 16);
  out.writeUInt32LE(m.sizeofcmds + 16, 20);
  out.writeUInt32LE(LC_CODE_SIGNATURE, cmdsEnd);
  out.writeUInt32LE(16, cmdsEnd + 4);
  out.writeUInt32LE(codeLimit, cmdsEnd + 8);
  out.writeUInt32LE(sigSize, cmdsEnd + 12);
  setLinkeditSize(out, le, codeLimit + sigSize - le.fileoff);

  const sb = codeLimit;
  out.writeUInt32BE(CSMAGIC_EMBEDDED_SIGNATURE, sb);
  out.writeUInt32BE(sigSize, sb + 4);
  out.writeUInt32BE(1, sb + 8);
  out.writeUInt32BE(CSSLOT_CODEDIRECTORY, sb + 12);
  out.writeUInt32BE(superHeader, sb + 16);
  const cd = sb + superHeader;
  out.writeUInt32BE(CSMAGIC_CODEDIRECTORY, cd);
  out.writeUInt32BE(cdLength, cd + 4);
  out.writeUInt32BE(CD_VERSION, cd + 8);
  out.writeUInt32BE(CS_ADHOC | CS_LINKER_SIGNED, cd + 12);
  out.writeUInt32BE(hashOffset, cd + 16);
  out.writeUInt32BE(CD_HEADER, cd + 20); // identOffset
  out.writeUInt32BE(0, cd + 24); // nSpecialSlots: no Info.plist, requirements or entitlements
  out.writeUInt32BE(nPages, cd + 28);
  out.writeUInt32BE(codeLimit, cd + 32);
  out.writeUInt8(HASH_SIZE, cd + 36);
  out.writeUInt8(CS_HASHTYPE_SHA256, cd + 37);
  out.writeUInt8(0, cd + 38); // platform
  out.writeUInt8(PAGE_SHIFT, cd + 39);
  // spare2, scatterOffset, teamOffset, spare3, codeLimit64 (44..63) stay zero
  out.writeBigUInt64BE(BigInt(text.fileoff), cd + 64); // execSegBase
  out.writeBigUInt64BE(BigInt(text.filesize), cd + 72); // execSegLimit
  out.writeBigUInt64BE(BigInt(m.filetype === MH_EXECUTE ? CS_EXECSEG_MAIN_BINARY : 0), cd + 80);
  ident.copy(out, cd + CD_HEADER);
  // The hashes cover the header and load commands as written above (and the padding up to codeLimit).
  pageHashes(out, codeLimit).copy(out, cd + hashOffset);
  return out;
}

/** SHA-256 of each 4096-byte page of buf[0, codeLimit), the last one short: the code slots. */
export function pageHashes(buf: Buffer, codeLimit: number, pageSize = PAGE): Buffer {
  const n = Math.ceil(codeLimit / pageSize);
  const out = Buffer.alloc(n * HASH_SIZE);
  for (let i = 0; i < n; i++) {
    createHash('sha256')
      .update(buf.subarray(i * pageSize, Math.min((i + 1) * pageSize, codeLimit)))
      .digest()
      .copy(out, i * HASH_SIZE);
  }
  return out;
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;
