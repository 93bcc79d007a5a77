// The Go compatibility programs (test/go) are built on KubeArmor's published stubs at the version
// scripts/versions.env pins; test/go/harness.ts refuses any other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/env';
import { KA_PROTOBUF_MODULE, pinnedProtobufVersion, protobufPinProblem, requiredProtobufVersion } from './harness';

describe('test/go: KubeArmor protobuf stub pin', () => {
  const goMod = readFileSync(path.join(ROOT, 'test', 'go', 'go.mod'), 'utf8');
  const versions = readFileSync(path.join(ROOT, 'scripts', 'versions.env'), 'utf8');

  it('test/go/go.mod requires the version of scripts/versions.env', () => {
    assert.equal(pinnedProtobufVersion(versions), 'v0.0.0-20260519072523-d139952ecc8e');
    assert.equal(requiredProtobufVersion(goMod), pinnedProtobufVersion(versions));
    assert.equal(protobufPinProblem(goMod, versions), null);
  });

  it('a different or missing requirement is reported naming both files and the fix', () => {
    const other = goMod.replace(pinnedProtobufVersion(versions)!, 'v0.0.0-20240401073901-cdfe3f8b314b');
    const p = protobufPinProblem(other, versions)!;
    assert.match(p, /test\/go\/go\.mod: requires github\.com\/kubearmor\/KubeArmor\/protobuf v0\.0\.0-20240401073901-cdfe3f8b314b, but .*scripts\/versions\.env pins KUBEARMOR_PROTOBUF_VERSION=v0\.0\.0-20260519072523-d139952ecc8e; change one to match \(go mod edit -require=github\.com\/kubearmor\/KubeArmor\/protobuf@v0\.0\.0-20260519072523-d139952ecc8e && go mod tidy in test\/go\)$/);
    const none = goMod.split('\n').filter((l) => !l.includes(KA_PROTOBUF_MODULE)).join('\n');
    assert.match(protobufPinProblem(none, versions)!, /go\.mod: does not require github\.com\/kubearmor\/KubeArmor\/protobuf \(want v0\.0\.0-20260519072523-d139952ecc8e from .*versions\.env\)$/);
    assert.match(protobufPinProblem(goMod, 'OPA_VERSION=v1\n')!, /versions\.env: no KUBEARMOR_PROTOBUF_VERSION=<version> line$/);
    // A single-line require form is read too.
    assert.equal(requiredProtobufVersion(`module x\n\nrequire ${KA_PROTOBUF_MODULE} v1.2.3\n`), 'v1.2.3');
  });
});
