/**
 * The accounts feature's pure parts: SCRAM-SHA-256 against RFC 7677's
 * vectors, argon2id hashes, SASL chunking and PLAIN decoding, and the
 * brakes on password guessing.
 */

import {
  hashPassword,
  sameBytes,
  verifyPassword,
} from "../accounts/passwords.ts";
import {
  AUTHENTICATE_CHUNK,
  ChunkAssembler,
  chunkForClient,
  parsePlain,
} from "../accounts/sasl.ts";
import {
  deriveScramCredentials,
  fromBase64,
  ScramExchange,
} from "../accounts/scram.ts";
import { Throttle } from "../accounts/throttle.ts";
import { serverOptionsFrom, UsageError } from "../server/options.ts";
import {
  assertEquals,
  assertMatch,
  assertOk,
  assertThrows,
} from "./helpers/assert.ts";

const RFC7677 = {
  password: "pencil",
  salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  serverFirst:
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal:
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

Deno.test("SCRAM-SHA-256 server side reproduces RFC 7677's exchange", async () => {
  const credentials = await deriveScramCredentials(
    RFC7677.password,
    fromBase64(RFC7677.salt),
    4096,
  );
  const exchange = new ScramExchange(
    (name) => name === "user" ? credentials : undefined,
    RFC7677.serverNonce,
  );
  assertEquals(await exchange.step(RFC7677.clientFirst), {
    kind: "continue",
    data: RFC7677.serverFirst,
  });
  assertEquals(await exchange.step(RFC7677.clientFinal), {
    kind: "success",
    data: RFC7677.serverFinal,
    username: "user",
  });
});

Deno.test("SCRAM-SHA-256 refuses a wrong proof, an unknown user and channel binding", async () => {
  const credentials = await deriveScramCredentials(
    "another password",
    fromBase64(RFC7677.salt),
    4096,
  );
  const wrong = new ScramExchange(() => credentials, RFC7677.serverNonce);
  await wrong.step(RFC7677.clientFirst);
  assertEquals((await wrong.step(RFC7677.clientFinal)).kind, "failure");

  const unknown = new ScramExchange(() => undefined, RFC7677.serverNonce);
  // An unknown user still gets a challenge: probes cannot list accounts.
  assertEquals((await unknown.step(RFC7677.clientFirst)).kind, "continue");
  assertEquals((await unknown.step(RFC7677.clientFinal)).kind, "failure");

  const bound = new ScramExchange(() => credentials);
  assertEquals(
    (await bound.step("p=tls-unique,,n=user,r=abc")).kind,
    "failure",
  );
});

Deno.test("argon2id hashes verify only their own password and hold no plaintext", async () => {
  const hash = await hashPassword("correct horse");
  assertOk(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), hash);
  assertOk(!hash.includes("correct horse"));
  assertOk(await verifyPassword("correct horse", hash));
  assertOk(!await verifyPassword("correct horsf", hash));
  assertOk(!await verifyPassword("correct horse", "not a hash"));
  assertOk(hash !== await hashPassword("correct horse"), "salted");
});

Deno.test("sameBytes: equal only for the same length and the same bytes", () => {
  const bytes = (...values: number[]) => Uint8Array.from(values);
  assertOk(sameBytes(bytes(1, 2, 3), bytes(1, 2, 3)));
  assertOk(sameBytes(bytes(), bytes()));
  assertOk(!sameBytes(bytes(1, 2, 3), bytes(1, 2, 4)), "last byte differs");
  assertOk(!sameBytes(bytes(0, 2, 3), bytes(1, 2, 3)), "first byte differs");
  assertOk(!sameBytes(bytes(1, 2), bytes(1, 2, 3)), "shorter");
});

Deno.test("AUTHENTICATE chunks: 400-byte pieces, + after an exact multiple, too long refused", () => {
  const assembler = new ChunkAssembler();
  const data = new Uint8Array(300).fill(65); // base64: exactly 400 characters
  const chunks = chunkForClient(data);
  assertEquals(chunks.map((chunk) => chunk.length), [AUTHENTICATE_CHUNK, 1]);
  assertEquals(chunks[1], "+");
  assertEquals(assembler.push(chunks[0]), { kind: "more" });
  const joined = assembler.push(chunks[1]);
  assertEquals(joined.kind, "message");
  if (joined.kind === "message") assertEquals(joined.bytes, data);
  assertEquals(assembler.push("x".repeat(401)).kind, "too-long");
  for (let i = 0; i < 10; i++) assembler.push("A".repeat(400));
  assertEquals(assembler.push("A".repeat(400)).kind, "too-much");
  assertEquals(assembler.push("!!!").kind, "bad-base64");
  assertEquals(chunkForClient(new Uint8Array(0)), ["+"]);
});

Deno.test("PLAIN decodes three NUL-separated UTF-8 fields only", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  assertEquals(parsePlain(encode("\0jilles\0sesame")), {
    authzid: "",
    authcid: "jilles",
    password: "sesame",
  });
  assertEquals(parsePlain(encode("jilles\0jilles\0ses\0ame")), undefined);
  assertEquals(parsePlain(new Uint8Array([0, 0xff, 0, 0x41])), undefined);
});

Deno.test("Throttle: free failures, doubling delays, refusal, forgiveness after the window", () => {
  const throttle = new Throttle({
    freeFailures: 2,
    delayMs: 100,
    maxDelayMs: 400,
    refuseAfter: 6,
    windowMs: 1000,
  });
  const keys = ["ip:1.2.3.4", "account:ana"];
  const delays: (number | "refuse")[] = [];
  for (let i = 0; i < 8; i++) {
    const decision = throttle.check(keys, 0);
    delays.push(decision.kind === "refuse" ? "refuse" : decision.delayMs);
    throttle.fail(keys, 0);
  }
  assertEquals(delays, [0, 0, 100, 200, 400, 400, "refuse", "refuse"]);
  // Another account from the same IP is refused too; another IP on the
  // attacked account as well.
  assertEquals(throttle.check(["ip:1.2.3.4", "account:bea"], 0).kind, "refuse");
  assertEquals(throttle.check(["ip:5.6.7.8", "account:ana"], 0).kind, "refuse");
  assertEquals(throttle.check(keys, 2000), { kind: "allow", delayMs: 0 });
});

Deno.test("the opers setting needs a name and an argon2id hash; errors name the entry", async () => {
  const hash = await hashPassword("operpassword");
  const parsed = serverOptionsFrom({
    opers: [{ name: "boss", hash }, { name: "ana", hash, account: "ana" }],
  });
  assertEquals(parsed.options.opers, [
    { name: "boss", hash },
    { name: "ana", hash, account: "ana" },
  ]);
  const error = assertThrows(
    () => serverOptionsFrom({ opers: [{ name: "boss", hash: "hunter2" }] }),
    UsageError,
  );
  assertMatch(
    error.message,
    /^opers entry 1 \(boss\): hash must be an argon2id hash/,
  );
  assertThrows(
    () => serverOptionsFrom({ opers: [{ name: "", hash }] }),
    UsageError,
  );
});
