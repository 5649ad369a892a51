// Ed25519 keys for audit tests: fixed ones (from a seed, so snapshots of signed records are stable) and fresh ones.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";

export interface TestKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
}

function pems(privateKey: KeyObject, publicKey: KeyObject): TestKeys {
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicPem: publicKey.export({ type: "spki", format: "pem" }) as string,
  };
}

/** The Ed25519 key whose 32-byte seed is `seed` repeated: the same key on every run. */
export function fixedKeys(seed: number): TestKeys {
  // PKCS#8 of an Ed25519 private key: this fixed header, then the 32-byte seed.
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.alloc(32, seed)]);
  const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  return pems(privateKey, createPublicKey(privateKey));
}

/** A new Ed25519 key pair. */
export function freshKeys(): TestKeys {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return pems(privateKey, publicKey);
}
