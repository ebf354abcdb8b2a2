import { describe, expect, it } from 'vitest';
import { cgroupParent, qosClass } from './qos.js';

const c = (resources?: object) => ({ name: 'c', ...(resources ? { resources } : {}) });

describe('qosClass', () => {
  it.each([
    ['no requests or limits', [c()], 'BestEffort'],
    ['requests only (the debug pod)', [c({ requests: { cpu: '10m', memory: '64Mi' } })], 'Burstable'],
    ['limits only: requests default to them', [c({ limits: { cpu: '1', memory: '1Gi' } })], 'Guaranteed'],
    ['requests equal to limits', [c({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })], 'Guaranteed'],
    ['requests below limits', [c({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })], 'Burstable'],
    ['a memory limit without a cpu limit', [c({ limits: { memory: '1Gi' } })], 'Burstable'],
    ['one container guaranteed, one best effort', [c({ limits: { cpu: '1', memory: '1Gi' } }), c()], 'Burstable'],
  ])('%s', (_name, containers, qos) => {
    expect(qosClass(containers)).toBe(qos);
  });
});

describe('cgroupParent', () => {
  it.each([
    ['BestEffort', '/kubepods/besteffort/podU'],
    ['Burstable', '/kubepods/burstable/podU'],
    ['Guaranteed', '/kubepods/podU'],
  ] as const)('%s', (qos, path) => {
    expect(cgroupParent(qos, 'U')).toBe(path);
  });
});
