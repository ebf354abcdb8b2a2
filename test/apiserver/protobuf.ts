/**
 * Just enough of the Kubernetes protobuf encoding to read a SelfSubjectAccessReview: kubectl
 * (`kubectl auth can-i`) posts it as application/vnd.kubernetes.protobuf, while it accepts JSON back.
 * The envelope is "k8s\0" + runtime.Unknown{typeMeta, raw}; `raw` is the object's own message.
 */
import type { AccessReviewSpec } from './access.js';
import { badRequest } from './status.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type Fields = Map<number, Buffer[]>;

/** The length-delimited fields of a message, by field number (varints and fixed fields are skipped). */
function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw badRequest('truncated protobuf message');
      const byte = buf[pos++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        varint();
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const len = varint();
        const list = out.get(field) ?? [];
        list.push(buf.subarray(pos, pos + len));
        out.set(field, list);
        pos += len;
        break;
      }
      default:
        throw badRequest('unsupported protobuf wire type');
    }
  }
  return out;
}

const first = (f: Fields, n: number): Buffer | undefined => f.get(n)?.[0];
const str = (f: Fields, n: number): string | undefined => first(f, n)?.toString('utf8');

/** Keeps only the attributes that were set, as the JSON form would. */
function attributes(f: Fields, names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, name] of Object.entries(names)) {
    const v = str(f, Number(n));
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

export function isProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim() === 'application/vnd.kubernetes.protobuf';
}

/** The spec of a protobuf-encoded SelfSubjectAccessReview. */
export function decodeAccessReviewSpec(body: Buffer): AccessReviewSpec {
  if (!body.subarray(0, 4).equals(MAGIC)) throw badRequest('protobuf body without the k8s envelope');
  const raw = first(fields(body.subarray(4)), 2); // runtime.Unknown.raw
  if (!raw) throw badRequest('empty protobuf object');
  const spec = first(fields(raw), 2); // SelfSubjectAccessReview.spec
  const specFields = spec ? fields(spec) : new Map<number, Buffer[]>();
  const out: AccessReviewSpec = {};
  const ra = first(specFields, 1);
  const nra = first(specFields, 2);
  if (ra) {
    out.resourceAttributes = attributes(fields(ra), {
      1: 'namespace',
      2: 'verb',
      3: 'group',
      4: 'version',
      5: 'resource',
      6: 'subresource',
      7: 'name',
    });
  }
  if (nra) out.nonResourceAttributes = attributes(fields(nra), { 1: 'path', 2: 'verb' });
  return out;
}
