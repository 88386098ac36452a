/**
 * Wire-level regression tests for incompatibilities the third-party peers
 * (tests/interop_*_test.ts) found. They need no peer installed, so they guard
 * the fix on every machine.
 */

import { assertEquals } from "./helpers/assert.ts";
import { withServer } from "./helpers/server.ts";
import { Numeric } from "../protocol.ts";

Deno.test("WHOWAS is answered with 406 per nick and 369 (irssi sends it after a WHOIS 401)", async () => {
  await withServer({}, async (server) => {
    const client = await server.client("asker");
    await client.send("WHOIS ghost");
    assertEquals((await client.waitFor(Numeric.ERR_NOSUCHNICK)).params, [
      "asker",
      "ghost",
      "No such nick/channel",
    ]);
    await client.send("WHOWAS ghost,phantom 1");
    assertEquals(
      (await client.waitFor(Numeric.ERR_WASNOSUCHNICK)).params.slice(0, 2),
      [
        "asker",
        "ghost",
      ],
    );
    assertEquals(
      (await client.waitFor(Numeric.ERR_WASNOSUCHNICK)).params[1],
      "phantom",
    );
    assertEquals(
      (await client.waitFor(Numeric.RPL_ENDOFWHOWAS)).params.slice(0, 2),
      [
        "asker",
        "ghost,phantom",
      ],
    );
    await client.send("WHOWAS");
    assertEquals(
      (await client.waitFor(Numeric.ERR_NEEDMOREPARAMS)).params[1],
      "WHOWAS",
    );
  });
});
