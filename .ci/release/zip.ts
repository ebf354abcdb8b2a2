/**
 * A .zip of regular files at the top level, for the Windows archive (krew and Windows' own
 * "Extract all" read .zip; neither reads .tar.gz everywhere). Written with node:zlib rather than a
 * zip tool or a dependency, and reproducible like the tar.gz: entries sorted, every time stamp the
 * same (SOURCE_DATE_EPOCH as a DOS date/time in UTC), no extra fields, deflate at a fixed level.
 * Archives stay below 4 GiB, so there is no ZIP64 here.
 */
import { closeSync, openSync, readFileSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

/** "version made by": 3 = UNIX (the external attributes hold the mode), 2.0 (deflate). */
const MADE_BY = (3 << 8) | 20;
const NEEDED = 20;
const DEFLATE = 8;
/** General purpose flag bit 11: names are UTF-8. */
const UTF8 = 1 << 11;

/** A DOS date and time (2-second resolution, 1980–2107) of a Unix time, read in UTC so that the build machine's zone does not matter. */
export function dosDateTime(epochSeconds: number): { date: number; time: number } {
  const d = new Date(Math.min(Math.max(epochSeconds, 315532800), 4354819198) * 1000); // 1980-01-01 … 2107-12-31
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** Writes a zip of every file in `dir` (sorted, no directory entries) to `out`; modes come from the files. */
export function zipDir(dir: string, out: string, epoch: number): void {
  const { date, time } = dosDateTime(epoch);
  const fd = openSync(out, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  const write = (b: Buffer): void => {
    writeSync(fd, b);
    offset += b.length;
  };
  try {
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name);
      const st = statSync(file);
      if (!st.isFile()) throw new Error(`${file}: only regular files go into the zip`);
      const data = readFileSync(file);
      const packed = deflateRawSync(data, { level: 6 });
      const crc = crc32(data);
      const nameBytes = Buffer.from(name, 'utf8');
      // The local header and the central directory entry share a run of fields (version needed to
      // file name length), at offset 4 in the local header and 6 in the central entry.
      const shared = (b: Buffer, at: number): Buffer => {
        b.writeUInt16LE(NEEDED, at);
        b.writeUInt16LE(UTF8, at + 2);
        b.writeUInt16LE(DEFLATE, at + 4);
        b.writeUInt16LE(time, at + 6);
        b.writeUInt16LE(date, at + 8);
        b.writeUInt32LE(crc, at + 10);
        b.writeUInt32LE(packed.length, at + 14);
        b.writeUInt32LE(data.length, at + 18);
        b.writeUInt16LE(nameBytes.length, at + 22);
        return b;
      };
      const local = shared(Buffer.alloc(30), 4);
      local.writeUInt32LE(0x04034b50, 0);
      // extra field length 28: 0
      const header = shared(Buffer.alloc(46), 6);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE(MADE_BY, 4);
      // extra 30, comment 32, disk 34, internal attributes 36: 0
      header.writeUInt32LE(((0o100000 | (st.mode & 0o777)) << 16) >>> 0, 38);
      header.writeUInt32LE(offset, 42);
      central.push(header, nameBytes);
      write(local);
      write(nameBytes);
      write(packed);
    }
    const cd = Buffer.concat(central);
    const entries = central.length / 2;
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries, 8);
    end.writeUInt16LE(entries, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
    write(cd);
    write(end);
  } finally {
    closeSync(fd);
  }
}
