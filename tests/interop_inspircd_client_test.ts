/**
 * tertulia's client against a second, unrelated IRC server: InspIRCd 3, with
 * the IRCv3 capabilities a modern network offers and `rfc1459` casemapping.
 * The same scenarios run against tertulia (client_e2e_test.ts) and ngIRCd
 * (client_ngircd_test.ts).
 */

import {
  asksForUsername,
  interruptQuits,
  pipedInput,
  takenNickGetsSuffix,
  twoPeopleChat,
} from "./helpers/client_scenarios.ts";
import {
  peerAvailable,
  peerTestOptions,
  startInspircd,
} from "./helpers/peer_servers.ts";

const peers = { inspircd: peerAvailable("inspircd") };

const scenarios: [string, (port: number) => Promise<void>][] = [
  ["two people chat, see each other come and go, and leave", twoPeopleChat],
  ["piped input is delivered, then the client quits at EOF", pipedInput],
  ["SIGINT quits cleanly", interruptQuits],
  ["a taken nick gets a suffix without a terminal", takenNickGetsSuffix],
  ["without --nick it asks Username:", asksForUsername],
];

for (const [name, scenario] of scenarios) {
  Deno.test({
    ...peerTestOptions(`client on InspIRCd: ${name}`, peers),
    async fn() {
      const inspircd = await startInspircd();
      try {
        await scenario(inspircd.port);
      } finally {
        await inspircd.close();
      }
    },
  });
}
